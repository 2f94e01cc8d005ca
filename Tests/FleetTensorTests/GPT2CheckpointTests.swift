import Foundation
import XCTest

@testable import FleetTensor

/// Hugging Face GPT-2 folders: Fleet's transformer written and read back, the Conv1D transposes,
/// tied and untied heads, names without the `transformer.` prefix, and every refusal naming its tensor.
final class GPT2CheckpointTests: XCTestCase {
    private let tied = TransformerLM.Config(vocabulary: 11, contextLength: 6, width: 8, heads: 2, layers: 2)
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gpt2-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A model with every parameter random (LayerNorms and biases too), so any misplaced tensor shows.
    private func randomModel(_ config: TransformerLM.Config, seed: UInt64 = 1) -> TransformerLM {
        var generator = RandomGenerator(seed: seed)
        let model = TransformerLM(config, using: &generator)
        for (_, tensor) in model.namedParameters() {
            tensor.data = (0..<tensor.count).map { _ in Float(generator.nextDouble()) - 0.5 }
        }
        return model
    }

    private func assertSameParameters(_ a: TransformerLM, _ b: TransformerLM, file: StaticString = #filePath, line: UInt = #line) {
        let left = a.namedParameters(), right = b.namedParameters()
        XCTAssertEqual(left.map(\.name), right.map(\.name), file: file, line: line)
        for (l, r) in zip(left, right) { XCTAssertEqual(l.tensor.data, r.tensor.data, l.name, file: file, line: line) }
    }

    /// Loads `tensors` (edited from a random model's) into a fresh model of `config`; the error's text.
    private func refusal(_ config: TransformerLM.Config, _ edit: (inout [String: SafeTensors.Entry]) -> Void) -> String? {
        var tensors = GPT2Weights.safeTensors(of: randomModel(config)).tensors
        edit(&tensors)
        let target = randomModel(config, seed: 9)
        let before = target.namedParameters().map(\.tensor.data)
        do {
            try GPT2Weights.load(SafeTensors(tensors: tensors), into: target)
            return nil
        } catch {
            XCTAssertEqual(target.namedParameters().map(\.tensor.data), before, "a refused file changes nothing")
            return error.description
        }
    }

    func testAWrittenFolderReadsBackTheSameModelAndLogits() throws {
        let model = randomModel(tied)
        try GPT2Checkpoint.write(model, to: folder)
        let read = try GPT2Checkpoint.read(folder)
        XCTAssertEqual(read.config, tied)
        assertSameParameters(model, read)
        let tokens = [1, 5, 10, 0, 3, 2]
        XCTAssertEqual(read.forward(tokens: tokens, batch: 2, length: 3).data, model.forward(tokens: tokens, batch: 2, length: 3).data)
    }

    func testConv1DWeightsAreStoredInOutAndBiasesAsIs() throws {
        let model = randomModel(tied)
        let tensors = GPT2Weights.safeTensors(of: model).tensors
        let d = tied.width
        let pairs: [(String, Linear)] = [
            ("transformer.h.1.attn.c_attn", model.blocks[1].attention.qkv),
            ("transformer.h.1.attn.c_proj", model.blocks[1].attention.output),
            ("transformer.h.1.mlp.c_fc", model.blocks[1].mlp.expand),
            ("transformer.h.1.mlp.c_proj", model.blocks[1].mlp.project),
        ]
        for (name, layer) in pairs {
            let stored = try XCTUnwrap(tensors["\(name).weight"], name)
            let (outputs, inputs) = (layer.outFeatures, layer.inFeatures)
            XCTAssertEqual(stored.shape, [inputs, outputs], name)
            for i in 0..<inputs {
                for o in 0..<outputs { XCTAssertEqual(stored.values[i * outputs + o], layer.weight.data[o * inputs + i], name) }
            }
            XCTAssertEqual(tensors["\(name).bias"]?.values, layer.bias?.data, name)
        }
        XCTAssertEqual(tensors["transformer.h.0.attn.c_attn.weight"]?.shape, [d, 3 * d])
        XCTAssertEqual(tensors["transformer.h.0.mlp.c_fc.weight"]?.shape, [d, 4 * d])
        XCTAssertEqual(tensors["transformer.h.0.mlp.c_proj.weight"]?.shape, [4 * d, d])
        XCTAssertEqual(tensors["transformer.wte.weight"]?.values, model.tokenEmbedding.weight.data)
        XCTAssertEqual(tensors["transformer.wpe.weight"]?.values, model.positionEmbedding.weight.data)
        XCTAssertEqual(tensors["transformer.h.0.ln_2.bias"]?.values, model.blocks[0].norm2.bias.data)
        XCTAssertEqual(tensors["transformer.ln_f.weight"]?.values, model.finalNorm.weight.data)
        XCTAssertNil(tensors["lm_head.weight"], "a tied head is the embedding, not saved twice")
        XCTAssertEqual(GPT2Weights.safeTensors(of: model).metadata, ["format": "pt"])
    }

    func testNamesWithoutThePrefixAndTheMaskBuffersLoad() throws {
        let model = randomModel(tied)
        var tensors: [String: SafeTensors.Entry] = [:]
        for (name, entry) in GPT2Weights.safeTensors(of: model).tensors { tensors[String(name.dropFirst("transformer.".count))] = entry }
        for i in 0..<tied.layers {
            tensors["h.\(i).attn.bias"] = .init(shape: [1, 1, 6, 6], values: Array(repeating: 1, count: 36))
            tensors["h.\(i).attn.masked_bias"] = .init(shape: [], values: [-1e4])
        }
        let target = randomModel(tied, seed: 5)
        try GPT2Weights.load(SafeTensors(tensors: tensors), into: target)
        assertSameParameters(model, target)
    }

    func testAnUntiedHeadIsWrittenAsLMHeadAndReadBack() throws {
        var untied = tied
        untied.tiedHead = false
        let model = randomModel(untied)
        try GPT2Checkpoint.write(model, to: folder)
        let tensors = try SafeTensors(contentsOf: folder.appendingPathComponent("model.safetensors")).tensors
        XCTAssertEqual(tensors["lm_head.weight"]?.values, model.head?.weight.data)
        XCTAssertEqual(tensors["lm_head.weight"]?.shape, [11, 8])
        let read = try GPT2Checkpoint.read(folder)
        XCTAssertFalse(read.config.tiedHead)
        assertSameParameters(model, read)
    }

    func testATiedFileMayHoldTheHeadOnlyWhenItIsTheEmbedding() {
        XCTAssertNil(refusal(tied) { $0["lm_head.weight"] = $0["transformer.wte.weight"] })
        let error = refusal(tied) {
            var head = $0["transformer.wte.weight"]!
            head = .init(shape: head.shape, values: head.values.map { $0 + 1 })
            $0["lm_head.weight"] = head
        }
        XCTAssertTrue(error?.contains("'lm_head.weight' differs from wte") == true, error ?? "accepted")
    }

    func testEveryBadFileIsRefusedNamingTheTensor() {
        var untied = tied
        untied.tiedHead = false
        let cases: [(String, TransformerLM.Config, (inout [String: SafeTensors.Entry]) -> Void, String)] = [
            ("missing", tied, { $0["transformer.ln_f.bias"] = nil }, "'transformer.ln_f.bias' is missing"),
            ("missing block", tied, { $0["transformer.h.1.mlp.c_fc.weight"] = nil }, "'transformer.h.1.mlp.c_fc.weight' is missing"),
            ("missing head", untied, { $0["lm_head.weight"] = nil }, "'lm_head.weight' is missing"),
            ("unknown", tied, { $0["transformer.h.0.attn.q_proj.weight"] = .init(shape: [1], values: [0]) },
             "'transformer.h.0.attn.q_proj.weight' is not part of a GPT-2"),
            ("extra block", tied, { $0["transformer.h.2.ln_1.weight"] = .init(shape: [8], values: Array(repeating: 1, count: 8)) },
             "'transformer.h.2.ln_1.weight' is not part of a GPT-2"),
            ("extra block's mask", tied, { $0["h.2.attn.bias"] = .init(shape: [1], values: [1]) }, "'h.2.attn.bias' is not part of"),
            ("square but untransposed", tied, {
                let w = $0["transformer.h.0.mlp.c_fc.weight"]!
                $0["transformer.h.0.mlp.c_fc.weight"] = .init(shape: [32, 8], values: w.values)
            }, "'transformer.h.0.mlp.c_fc.weight' has shape [32, 8]; the config's architecture needs [8, 32]"),
            ("wrong vocabulary", tied, { $0["transformer.wte.weight"] = .init(shape: [12, 8], values: Array(repeating: 0, count: 96)) },
             "'transformer.wte.weight' has shape [12, 8]"),
            ("duplicate", tied, { $0["wpe.weight"] = $0["transformer.wpe.weight"] }, "duplicates"),
        ]
        for (what, config, edit, expected) in cases {
            let error = refusal(config, edit)
            XCTAssertTrue(error?.contains(expected) == true, "\(what): \(error ?? "accepted")")
        }
    }

    func testAFolderWithoutSafetensorsIsRefused() throws {
        try GPT2Config.json(for: tied).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try GPT2Checkpoint.read(folder)) {
            XCTAssertTrue("\($0)".contains("no model.safetensors"), "\($0)")
        }
    }

    func testWritingKeepsTheSourceConfigsFieldsAndCopiesTheTokenizer() throws {
        let source = folder.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let sourceConfig: [String: Any] = [
            "model_type": "gpt2", "n_embd": 8, "n_layer": 2, "n_head": 2, "n_positions": 6, "vocab_size": 11,
            "resid_pdrop": 0.1, "bos_token_id": 3, "eos_token_id": 4, "summary_type": "cls_index", "torch_dtype": "float16",
        ]
        try JSONSerialization.data(withJSONObject: sourceConfig).write(to: source.appendingPathComponent("config.json"))
        try Data("{\"a\": 1}".utf8).write(to: source.appendingPathComponent("vocab.json"))
        try Data("#version: 0.2\n".utf8).write(to: source.appendingPathComponent("merges.txt"))
        let out = folder.appendingPathComponent("out")
        try GPT2Checkpoint.write(randomModel(tied), to: out, like: source)
        let written = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any])
        XCTAssertEqual(written["summary_type"] as? String, "cls_index")
        XCTAssertEqual(written["resid_pdrop"] as? Double, 0.1)
        XCTAssertEqual(written["attn_pdrop"] as? Double, 0)
        XCTAssertEqual(written["bos_token_id"] as? Int, 3)
        XCTAssertEqual(written["eos_token_id"] as? Int, 4)
        XCTAssertEqual(written["torch_dtype"] as? String, "float32")
        XCTAssertEqual(written["architectures"] as? [String], ["GPT2LMHeadModel"])
        XCTAssertEqual(written["activation_function"] as? String, "gelu_new")
        XCTAssertEqual(written["tie_word_embeddings"] as? Bool, true)
        XCTAssertEqual(written["n_ctx"] as? Int, 6)
        XCTAssertEqual(try GPT2Checkpoint.config(in: out), tied)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("vocab.json")), Data("{\"a\": 1}".utf8))
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("merges.txt"), encoding: .utf8), "#version: 0.2\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("tokenizer.json").path))
    }
}
