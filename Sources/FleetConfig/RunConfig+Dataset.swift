import FleetEnvironments

extension RunConfig {
    /// The dataset task of `task: dataset`: its files read and checked (relative paths from the
    /// working directory; every prompt and answer fits `model.context_length`), with the config's
    /// template, tokenizer and verifier. Throws ``LanguageSetupError`` naming the file, line and
    /// field at fault, or the setting.
    public func makeDatasetTask() throws(LanguageSetupError) -> any PromptTask {
        switch dataset.tokenizer {
        case "byte": return try makeDatasetTask(tokenizer: ByteTokenizer())
        case "character": return try makeDatasetTask(tokenizer: CharacterTokenizer.standard)
        default: throw LanguageSetupError(description: "tokenizer: unknown '\(dataset.tokenizer)'; known: byte, character")
        }
    }

    /// The dataset task of `task: dataset` read with `tokenizer` (a model folder's), whatever the
    /// `tokenizer` key says.
    public func makeDatasetTask<Tokenizer: PromptTokenizer>(tokenizer: Tokenizer) throws(LanguageSetupError) -> any PromptTask {
        guard let train = dataset.train, !train.isEmpty else {
            throw LanguageSetupError(description: "task: dataset needs dataset.train, the path of a JSON Lines file")
        }
        let template: PromptTemplate
        let verifier: any AnswerVerifier
        do {
            template = try PromptTemplate(dataset.promptTemplate)
            verifier = try AnswerVerifiers.make(
                name: dataset.verifier, tolerance: dataset.verifierTolerance, pattern: dataset.verifierPattern)
        } catch {
            throw LanguageSetupError(description: "\(error)")
        }
        do {
            return try DatasetTask(
                trainFile: train, heldOutFile: dataset.heldOut, heldOutFraction: dataset.heldOutFraction,
                template: template, tokenizer: tokenizer, verifier: verifier, contextLength: language.contextLength)
        } catch {
            throw LanguageSetupError(description: "dataset: \(error)")
        }
    }
}
