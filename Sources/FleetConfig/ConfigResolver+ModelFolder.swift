import FleetTensor
import Foundation

extension ConfigResolver {
    /// The architecture keys a `model.path` folder decides, with its config.json field for each.
    static let modelFolderKeys: [(key: String, field: String, value: KeyPath<TransformerLM.Config, Int> & Sendable)] = [
        ("model.width", "n_embd", \.width), ("model.layers", "n_layer", \.layers), ("model.heads", "n_head", \.heads),
        ("model.context_length", "n_positions", \.contextLength),
    ]

    /// With `model.path` set, the architecture keys take the folder's `config.json` values: one the
    /// config sets to another value is refused, as is `init_checkpoint` beside it (the folder holds the
    /// initial weights). A folder whose `config.json` Fleet cannot load is refused under `model.path`.
    static func applyModelFolder(_ values: inout [String: ConfigValue], origins: [String: String]) throws {
        guard case .string(let path) = values["model.path"] else { return }
        let source = origins["model.path"] ?? "defaults"
        if values["init_checkpoint"] != .null {
            throw ConfigError(
                .inconsistent, source: origins["init_checkpoint"] ?? source, key: "init_checkpoint",
                message: "'init_checkpoint' and 'model.path' both give the initial weights: set one of them "
                    + "(fleet model export turns a policy file into a model folder)")
        }
        let architecture: TransformerLM.Config
        do {
            architecture = try GPT2Checkpoint.config(in: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(.unreadableFile, source: source, key: "model.path", message: "'model.path' \(path): \(error)")
        }
        for (key, field, value) in modelFolderKeys {
            let folderValue = ConfigValue.int(architecture[keyPath: value])
            if let origin = origins[key], values[key] != folderValue {
                throw ConfigError(
                    .inconsistent, source: origin, key: key,
                    message: "'\(key)' is \(values[key]!.yaml) but model.path's config.json has \(field) "
                        + "\(architecture[keyPath: value]): leave \(key) out (the folder decides the architecture)")
            }
            values[key] = folderValue
        }
    }
}
