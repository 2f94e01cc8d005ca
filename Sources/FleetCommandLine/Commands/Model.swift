import ArgumentParser

/// `fleet model`: Hugging Face GPT-2 model folders (config.json, model.safetensors and the
/// tokenizer's files) as Fleet reads and writes them.
struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Read, check and write GPT-2 model folders (config.json, model.safetensors, tokenizer).",
        subcommands: [ModelLogits.self, ModelExport.self, ModelTokenize.self]
    )
}
