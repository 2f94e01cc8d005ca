import Foundation
import XCTest

@testable import FleetTensor

/// GPT-2 `config.json` files: Hugging Face's `gpt2` and `distilgpt2` configs read into Fleet's
/// transformer config, and what the loader does not support refused by field.
final class GPT2ConfigTests: XCTestCase {
    /// `gpt2`'s config.json as Hugging Face publishes it (its architecture fields).
    static let gpt2 = """
        {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
         "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
         "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
         "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
         "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
         "summary_use_proj": true, "vocab_size": 50257}
        """

    private func config(_ text: String) throws -> TransformerLM.Config { try GPT2Config.read(Data(text.utf8)) }

    private func edited(_ change: (inout [String: Any]) -> Void) throws -> String {
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(Self.gpt2.utf8)) as? [String: Any])
        change(&json)
        return String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
    }

    func testGPT2AndDistilGPT2ConfigsRead() throws {
        XCTAssertEqual(
            try config(Self.gpt2),
            TransformerLM.Config(vocabulary: 50257, contextLength: 1024, width: 768, heads: 12, layers: 12, tiedHead: true))
        let distil = try edited { $0["n_layer"] = 6; $0["_num_labels"] = 1 }
        XCTAssertEqual(try config(distil).layers, 6)
        let untied = try edited { $0["tie_word_embeddings"] = false; $0["n_inner"] = 3072 }
        XCTAssertFalse(try config(untied).tiedHead)
    }

    func testWhatTheLoaderDoesNotSupportIsRefusedByField() throws {
        func refusal(_ change: (inout [String: Any]) -> Void) throws -> String {
            do {
                _ = try config(try edited(change))
                return "read"
            } catch let error as GPT2ConfigError {
                return error.description
            }
        }
        XCTAssertTrue(try refusal { $0["model_type"] = "llama" }.contains("model_type is llama"))
        XCTAssertTrue(try refusal { $0["activation_function"] = "relu" }.contains("activation_function is relu"))
        XCTAssertTrue(try refusal { $0["rotary_dim"] = 64 }.contains("rotary_dim is set"))
        XCTAssertTrue(try refusal { $0["n_inner"] = 1024 }.contains("n_inner is 1024"))
        XCTAssertTrue(try refusal { $0["layer_norm_epsilon"] = 1e-6 }.contains("layer_norm_epsilon"))
        XCTAssertTrue(try refusal { $0["scale_attn_by_inverse_layer_idx"] = true }.contains("scale_attn_by_inverse_layer_idx"))
        XCTAssertTrue(try refusal { $0["n_head"] = 5 }.contains("n_head (5) does not divide n_embd (768)"))
        XCTAssertTrue(try refusal { $0["n_layer"] = 0 }.contains("n_layer must be a positive integer"))
        XCTAssertTrue(try refusal { $0.removeValue(forKey: "vocab_size") }.contains("vocab_size must be a positive integer, got nothing"))
        XCTAssertThrowsError(try config("[]")) { XCTAssertTrue("\($0)".contains("not a JSON object")) }
    }
}
