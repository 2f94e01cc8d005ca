import Foundation

/// A Hugging Face GPT-2 `config.json`, read into ``TransformerLM/Config``: Fleet's transformer is
/// GPT-2's architecture (learned positions, pre-LayerNorm blocks with epsilon 1e-5, GELU in its tanh
/// form, a `4 * n_embd` feed-forward, the head tied to the token embedding unless
/// `tie_word_embeddings` is false). Anything else is refused with a ``GPT2ConfigError`` naming the
/// field: another `model_type`, another activation, rotary positions, another feed-forward width or
/// LayerNorm epsilon, attention scaled by layer index or upcast and reordered.
public enum GPT2Config {
    /// Reads `config.json` at `url`.
    public static func read(contentsOf url: URL) throws -> TransformerLM.Config {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw GPT2ConfigError("\(url.path): cannot be read (\(error.localizedDescription))")
        }
        return try read(data, source: url.lastPathComponent)
    }

    /// Reads a `config.json`'s bytes; `source` names it in errors.
    public static func read(_ data: Data, source: String = "config.json") throws -> TransformerLM.Config {
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw GPT2ConfigError("\(source): not a JSON object")
        }
        func refuse(_ field: String, _ why: String) -> GPT2ConfigError { GPT2ConfigError("\(source): \(field) \(why)") }
        func integer(_ field: String) throws -> Int {
            guard let number = json[field] as? NSNumber, number.doubleValue == Double(number.intValue), number.intValue > 0 else {
                throw refuse(field, "must be a positive integer, got \(json[field].map { "\($0)" } ?? "nothing")")
            }
            return number.intValue
        }

        let modelType = json["model_type"] as? String ?? "nothing"
        guard modelType == "gpt2" else { throw refuse("model_type", "is \(modelType); Fleet loads gpt2 checkpoints only") }
        let activation = json["activation_function"] as? String ?? "gelu_new"
        guard ["gelu_new", "gelu_pytorch_tanh"].contains(activation) else {
            throw refuse("activation_function", "is \(activation); Fleet's blocks compute GELU's tanh form (gelu_new)")
        }
        for rotary in ["rotary_dim", "rope_theta", "rope_scaling"] where json[rotary] != nil && !(json[rotary] is NSNull) {
            throw refuse(rotary, "is set: Fleet's transformer has learned positions, not rotary ones")
        }
        let width = try integer("n_embd")
        if let inner = json["n_inner"], !(inner is NSNull) {
            guard (inner as? NSNumber)?.intValue == 4 * width else {
                throw refuse("n_inner", "is \(inner); Fleet's feed-forward is 4 * n_embd = \(4 * width) wide")
            }
        }
        if let epsilon = json["layer_norm_epsilon"] as? NSNumber, Float(epsilon.doubleValue) != 1e-5 {
            throw refuse("layer_norm_epsilon", "is \(epsilon); Fleet's LayerNorm uses 1e-5")
        }
        for flag in ["scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"] where (json[flag] as? Bool) == true {
            throw refuse(flag, "is true; Fleet's attention does not do that")
        }
        if (json["scale_attn_weights"] as? Bool) == false {
            throw refuse("scale_attn_weights", "is false; Fleet's attention scales by 1/sqrt(head size)")
        }
        let heads = try integer("n_head")
        guard width % heads == 0 else { throw refuse("n_head", "(\(heads)) does not divide n_embd (\(width))") }
        return TransformerLM.Config(
            vocabulary: try integer("vocab_size"), contextLength: try integer("n_positions"), width: width, heads: heads,
            layers: try integer("n_layer"), tiedHead: (json["tie_word_embeddings"] as? Bool) ?? true)
    }
}

/// A GPT-2 `config.json` Fleet cannot load, and why (the field is named).
public struct GPT2ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
