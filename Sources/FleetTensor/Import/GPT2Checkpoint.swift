import Foundation

/// A Hugging Face GPT-2 model folder: `config.json` (``GPT2Config``), `model.safetensors`
/// (``GPT2Weights``) and the tokenizer's files, read into a ``TransformerLM`` and written back so
/// that `transformers`' `GPT2LMHeadModel.from_pretrained` loads it.
public enum GPT2Checkpoint {
    /// The architecture's file.
    public static let configFile = "config.json"
    /// The weights' file.
    public static let weightsFile = "model.safetensors"
    /// The tokenizer's files, copied from the source folder when a model is written.
    public static let tokenizerFiles = [
        "tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json",
    ]

    /// The architecture in `folder`'s `config.json`.
    public static func config(in folder: URL) throws -> TransformerLM.Config {
        try GPT2Config.read(contentsOf: folder.appendingPathComponent(configFile))
    }

    /// The model in `folder`: its `config.json`'s architecture with `model.safetensors`' weights.
    /// Throws ``GPT2ConfigError``, ``SafeTensorsError`` or ``GPT2CheckpointError`` naming the file and field.
    public static func read(_ folder: URL) throws -> TransformerLM {
        let config = try config(in: folder)
        let weightsURL = folder.appendingPathComponent(weightsFile)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw GPT2CheckpointError("\(folder.path): no \(weightsFile) (Fleet reads safetensors weights, not pytorch_model.bin)")
        }
        let weights = try SafeTensors(contentsOf: weightsURL)
        let model = TransformerLM(zeroed: config)
        try GPT2Weights.load(weights, into: model, source: weightsURL.path)
        return model
    }

    /// Writes `model` into `folder` (created if needed): `config.json` keeping the fields of
    /// `source`'s, `model.safetensors` in float32, and `source`'s tokenizer files (those present).
    public static func write(_ model: TransformerLM, to folder: URL, like source: URL? = nil) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        var sourceConfig: [String: Any] = [:]
        if let source {
            let url = source.appendingPathComponent(configFile)
            guard let data = try? Data(contentsOf: url),
                let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            else { throw GPT2CheckpointError("\(url.path): cannot be read as a JSON object (the source folder's config)") }
            sourceConfig = object
        }
        try GPT2Weights.safeTensors(of: model).serialized().write(to: folder.appendingPathComponent(weightsFile), options: .atomic)
        try GPT2Config.json(for: model.config, keeping: sourceConfig)
            .write(to: folder.appendingPathComponent(configFile), options: .atomic)
        guard let source, source.standardizedFileURL != folder.standardizedFileURL else { return }
        for name in tokenizerFiles where manager.fileExists(atPath: source.appendingPathComponent(name).path) {
            let target = folder.appendingPathComponent(name)
            if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }
            try manager.copyItem(at: source.appendingPathComponent(name), to: target)
        }
    }
}
