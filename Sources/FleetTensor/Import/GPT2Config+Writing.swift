import Foundation

extension GPT2Config {
    /// A Hugging Face `config.json` for `config`, that `transformers` builds the same
    /// `GPT2LMHeadModel` from: the fields of `source` (the config the model was read from) kept, and
    /// the architecture's written over them (`model_type`, `architectures`, sizes, `gelu_new`,
    /// epsilon 1e-5, `tie_word_embeddings`, `torch_dtype` float32 as Fleet writes its weights).
    /// Dropout rates and `bos_token_id`/`eos_token_id` are kept from `source`; without them dropout is
    /// 0 and both ids are the last of the vocabulary (GPT-2's `<|endoftext|>`).
    public static func json(for config: TransformerLM.Config, keeping source: [String: Any] = [:]) throws -> Data {
        var json = source
        json["n_inner"] = nil
        let written: [String: Any] = [
            "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
            "n_embd": config.width, "n_layer": config.layers, "n_head": config.heads,
            "n_positions": config.contextLength, "n_ctx": config.contextLength, "vocab_size": config.vocabulary,
            "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
            "tie_word_embeddings": config.tiedHead, "torch_dtype": "float32",
        ]
        json.merge(written) { _, new in new }
        for dropout in ["resid_pdrop", "embd_pdrop", "attn_pdrop"] where !(json[dropout] is NSNumber) { json[dropout] = 0.0 }
        for id in ["bos_token_id", "eos_token_id"] where !(json[id] is NSNumber) { json[id] = config.vocabulary - 1 }
        return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    }
}
