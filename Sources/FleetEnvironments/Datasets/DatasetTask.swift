/// A prompt task read from JSON Lines files: one object a line with `prompt` and `answer` strings,
/// an optional unique `id` (string or integer) and any other fields, kept as the problem's
/// ``PromptProblem/metadata``.
///
/// ```
/// {"id": "q1", "prompt": "Tom has 3 apples and buys 5 more. How many apples does Tom have?", "answer": "3+5=8 #### 8"}
/// ```
///
/// - Held-out problems come from a second file, or else a fraction of the training file is held
///   out by ``DatasetSplit`` (keyed by each line's id, or its prompt and answer).
/// - Problem ids are the line's index among the training file's records (0, 1, ...); a held-out
///   file's records are `heldOutIDBase + index`, so the two never collide.
/// - The prompt is `bos` then the tokens of the template applied to the line's prompt; prompts
///   differ in length. The demonstration is the answer's tokens then `eos`.
/// - Each split is enumerated in a fixed pseudorandom order (a ``ProblemSpace`` permutation),
///   whatever the file's order.
/// - A response is verified by decoding its tokens before `eos` and asking the ``AnswerVerifier``;
///   without `eos` it is neither correct nor well formed.
public struct DatasetTask<Tokenizer: PromptTokenizer>: PromptTask {
    /// The config's name for dataset tasks.
    public static var taskName: String { "dataset" }
    /// The id of the held-out file's first record.
    public static var heldOutIDBase: Int64 { 1_000_000_000 }

    /// The tokenizer of prompts and answers.
    public let tokenizer: Tokenizer
    /// The template prompts are put in.
    public let template: PromptTemplate
    /// The verifier of responses.
    public let verifier: any AnswerVerifier
    /// The longest prompt, `bos` included.
    public let maxPromptLength: Int
    /// The longest demonstration: answer tokens plus `eos`.
    public let maxResponseLength: Int
    /// `dataset-task-v1;...`: the files' hashes (or the held-out fraction and split rule), the id
    /// rule, the template, the tokenizer's and the verifier's specs.
    public let spec: String
    private let train: [PromptProblem]
    private let heldOut: [PromptProblem]
    /// Each id's split and position in it.
    private let locationOfID: [Int64: (split: PromptSplit, index: Int)]

    /// Reads `trainFile` and, when given, `heldOutFile` (otherwise holds out `heldOutFraction` of
    /// the training file, at least one line). With `contextLength`, every prompt plus its
    /// demonstration must fit it.
    /// - Throws: ``DatasetError`` naming the file, line and field: a file that is missing, empty,
    ///   or holds a line that is not a JSON object, lacks `prompt` or `answer` or has them
    ///   empty or not strings, has an `id` that is neither a string nor an integer or repeats one,
    ///   has text the tokenizer cannot encode, or does not fit the context.
    public init(
        trainFile: String, heldOutFile: String? = nil, heldOutFraction: Double = 0.1,
        template: PromptTemplate = .identity, tokenizer: Tokenizer, verifier: any AnswerVerifier,
        contextLength: Int? = nil
    ) throws(DatasetError) {
        precondition(heldOutFile != nil || (heldOutFraction >= 0 && heldOutFraction < 1), "heldOutFraction must be in [0, 1)")
        self.tokenizer = tokenizer
        self.template = template
        self.verifier = verifier

        let trainRecords = try DatasetFile(path: trainFile)
        var trainProblems: [PromptProblem] = [], heldOutProblems: [PromptProblem] = []
        let heldOutSource: String
        func problem(_ record: DatasetRecord, id: Int64, file: String) throws(DatasetError) -> PromptProblem {
            try Self.problem(record, id: id, file: file, template: template, tokenizer: tokenizer, contextLength: contextLength)
        }
        if let heldOutFile {
            let heldOutRecords = try DatasetFile(path: heldOutFile)
            var trainIDs: [String: Int] = [:]
            for record in trainRecords.records {
                if let id = record.id { trainIDs[id] = record.line }
            }
            for (index, record) in heldOutRecords.records.enumerated() {
                if let id = record.id, let line = trainIDs[id] {
                    throw DatasetError(
                        file: heldOutFile, line: record.line, field: "id",
                        "id '\(id)' is also in the training file \(trainFile) (line \(line))")
                }
                heldOutProblems.append(try problem(record, id: Self.heldOutIDBase + Int64(index), file: heldOutFile))
            }
            for (index, record) in trainRecords.records.enumerated() {
                trainProblems.append(try problem(record, id: Int64(index), file: trainFile))
            }
            heldOutSource = "file:" + heldOutRecords.digest
        } else {
            guard trainRecords.records.count >= 2 else {
                throw DatasetError(
                    file: trainFile, "has 1 problem: holding one out for evaluation needs at least 2 (or a held-out file)")
            }
            let held = DatasetSplit.heldOut(keys: trainRecords.records.map(\.splitKey), fraction: heldOutFraction)
            for (index, record) in trainRecords.records.enumerated() {
                let made = try problem(record, id: Int64(index), file: trainFile)
                if held[index] { heldOutProblems.append(made) } else { trainProblems.append(made) }
            }
            guard !trainProblems.isEmpty else {
                throw DatasetError(file: trainFile, "every line is held out: lower the held-out fraction \(heldOutFraction)")
            }
            heldOutSource = "fraction:\(heldOutFraction);split=\(DatasetSplit.rule)"
        }
        train = Self.shuffled(trainProblems, key: "dataset-train")
        heldOut = Self.shuffled(heldOutProblems, key: "dataset-held-out")
        var locationOfID: [Int64: (split: PromptSplit, index: Int)] = [:]
        for (index, problem) in train.enumerated() { locationOfID[problem.id] = (.train, index) }
        for (index, problem) in heldOut.enumerated() { locationOfID[problem.id] = (.heldOut, index) }
        self.locationOfID = locationOfID
        let all = train + heldOut
        maxPromptLength = all.map(\.prompt.count).max()!
        maxResponseLength = all.map { tokenizer.encodeKnown($0.answer).count + 1 }.max()!
        spec = "dataset-task-v1;train=\(trainRecords.digest);held_out=\(heldOutSource);"
            + "ids=record-index,held-out-file-from-\(Self.heldOutIDBase);order=\(ProblemSpace.rule)-permutation;"
            + "template=\(template.quoted);prompt=<bos>template(prompt);answer=answer<eos>;"
            + "tokenizer=\(tokenizer.spec);verifier=\(verifier.spec)"
    }

    /// `dataset`, the config's `task`.
    public var name: String { Self.taskName }

    /// The problems of `split`: the training file's lines not held out, or the held-out ones.
    public func count(_ split: PromptSplit) -> Int { split == .train ? train.count : heldOut.count }


    /// Problem `index` of `split`, wrapping past `count(split)`; traps on a negative index.
    public func problem(_ index: Int, split: PromptSplit) -> PromptProblem {
        precondition(index >= 0, "problem index \(index) is negative")
        let problems = split == .train ? train : heldOut
        return problems[index % problems.count]
    }

    /// The problem whose id is `id` (a training-file record index, or `heldOutIDBase` plus a
    /// held-out-file record index), or nil.
    public func problem(id: Int64) -> PromptProblem? {
        guard let location = locationOfID[id] else { return nil }
        return location.split == .train ? train[location.index] : heldOut[location.index]
    }

    /// The split of `problem`'s id; traps when the id is not one of this task's.
    public func split(of problem: PromptProblem) -> PromptSplit {
        guard let location = locationOfID[problem.id] else {
            preconditionFailure("problem \(problem.id) is not the dataset's")
        }
        return location.split
    }

    /// Decodes the tokens before the first `eos` and asks the verifier; without `eos`, neither
    /// correct nor well formed.
    public func verify(response: [Int32], for problem: PromptProblem) -> Verdict {
        guard let end = response.firstIndex(of: tokenizer.eos) else { return Verdict(correct: false, wellFormed: false) }
        return verifier.verdict(response: tokenizer.decode(Array(response[..<end])), answer: problem.answer)
    }

    /// The problem of `record`, checked: the templated prompt and the answer encode, and together
    /// (with `bos` and `eos`) fit `contextLength`.
    private static func problem(
        _ record: DatasetRecord, id: Int64, file: String, template: PromptTemplate, tokenizer: Tokenizer,
        contextLength: Int?
    ) throws(DatasetError) -> PromptProblem {
        let promptText = template.apply(to: record.prompt)
        let prompt: [Int32], answer: [Int32]
        do {
            prompt = [tokenizer.bos] + (try tokenizer.encode(promptText))
        } catch {
            throw DatasetError(file: file, line: record.line, field: "prompt", "the tokenizer cannot encode it: \(error)")
        }
        do {
            answer = try tokenizer.encode(record.answer)
        } catch {
            throw DatasetError(file: file, line: record.line, field: "answer", "the tokenizer cannot encode it: \(error)")
        }
        if let contextLength, prompt.count + answer.count + 1 > contextLength {
            throw DatasetError(
                file: file, line: record.line,
                "the prompt (\(prompt.count) tokens with bos and the template) and the answer (\(answer.count + 1) "
                    + "with eos) need \(prompt.count + answer.count + 1) tokens, more than model.context_length "
                    + "\(contextLength)")
        }
        return PromptProblem(id: id, prompt: prompt, promptText: promptText, answer: record.answer, metadata: record.metadata)
    }

    /// `problems` in the order of a fixed permutation keyed by `key`.
    private static func shuffled(_ problems: [PromptProblem], key: String) -> [PromptProblem] {
        guard problems.count >= 2 else { return problems }
        let space = ProblemSpace(size: problems.count, key: key)
        return (0..<problems.count).map { problems[space.permute($0)] }
    }
}
