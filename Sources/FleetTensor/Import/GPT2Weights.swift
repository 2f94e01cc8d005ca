/// Hugging Face GPT-2 weights (`GPT2LMHeadModel`'s `model.safetensors`) mapped onto a
/// ``TransformerLM`` and back.
///
/// `transformer.wte.weight` is `tokenEmbedding.weight`, `wpe` is `positionEmbedding`; in block `i`,
/// `h.i.ln_1` is `norm1`, `attn.c_attn` is `attention.qkv` (features q, k, v as Fleet orders them),
/// `attn.c_proj` is `attention.output`, `ln_2` is `norm2`, `mlp.c_fc` is `mlp.expand`, `mlp.c_proj` is
/// `mlp.project`; `ln_f` is `finalNorm` and `lm_head.weight` is `head.weight` (untied heads only).
/// GPT-2's projections are `Conv1D` modules, whose weights are `[in, out]`: they are transposed to
/// Fleet's `[out, in]` on the way in and back on the way out.
///
/// Reading accepts names with or without the `transformer.` prefix (older files have none) and
/// ignores the attention-mask buffers `h.i.attn.bias` and `h.i.attn.masked_bias`. A missing tensor,
/// an unknown one, a shape that does not fit the architecture, and with a tied head an
/// `lm_head.weight` that differs from `wte` are refused with a ``GPT2CheckpointError`` naming the tensor.
public enum GPT2Weights {
    /// One tensor of the file: its Hugging Face name (with the `transformer.` prefix, as
    /// `GPT2LMHeadModel` saves it), the Fleet parameter it fills, and whether it is a `Conv1D`
    /// weight (stored transposed).
    struct Slot {
        let name: String
        let parameter: Tensor
        let isConv1DWeight: Bool

        /// The shape in the file.
        var fileShape: [Int] { isConv1DWeight ? [parameter.shape[1], parameter.shape[0]] : parameter.shape }
    }

    /// Every tensor a file of `model` holds, in Fleet's parameter order.
    static func slots(of model: TransformerLM) -> [Slot] {
        func plain(_ name: String, _ tensor: Tensor) -> Slot { Slot(name: name, parameter: tensor, isConv1DWeight: false) }
        func linear(_ name: String, _ layer: Linear) -> [Slot] {
            [Slot(name: "\(name).weight", parameter: layer.weight, isConv1DWeight: true), plain("\(name).bias", layer.bias!)]
        }
        func norm(_ name: String, _ layer: LayerNorm) -> [Slot] {
            [plain("\(name).weight", layer.weight), plain("\(name).bias", layer.bias)]
        }
        var slots = [
            plain("transformer.wte.weight", model.tokenEmbedding.weight),
            plain("transformer.wpe.weight", model.positionEmbedding.weight),
        ]
        for (i, block) in model.blocks.enumerated() {
            let prefix = "transformer.h.\(i)"
            slots += norm("\(prefix).ln_1", block.norm1)
            slots += linear("\(prefix).attn.c_attn", block.attention.qkv)
            slots += linear("\(prefix).attn.c_proj", block.attention.output)
            slots += norm("\(prefix).ln_2", block.norm2)
            slots += linear("\(prefix).mlp.c_fc", block.mlp.expand)
            slots += linear("\(prefix).mlp.c_proj", block.mlp.project)
        }
        slots += norm("transformer.ln_f", model.finalNorm)
        if let head = model.head { slots.append(plain(headName, head.weight)) }
        return slots
    }

    /// The untied head's name (never prefixed).
    static let headName = "lm_head.weight"
    static let prefix = "transformer."

    /// Fills every parameter of `model` from `file` (named `source` in errors), after checking that
    /// the file holds exactly the model's tensors in their shapes. Nothing changes when it throws.
    public static func load(_ file: SafeTensors, into model: TransformerLM, source: String = "model.safetensors") throws(GPT2CheckpointError) {
        func refuse(_ name: String, _ why: String) -> GPT2CheckpointError { GPT2CheckpointError("\(source): tensor '\(name)' \(why)") }
        // The file's tensors by prefixed name, remembering the name as written.
        var byName: [String: (written: String, entry: SafeTensors.Entry)] = [:]
        for (written, entry) in file.tensors {
            let name = written.hasPrefix(prefix) || written == headName ? written : prefix + written
            if let other = byName[name] { throw refuse(written, "duplicates '\(other.written)'") }
            byName[name] = (written, entry)
        }
        let slots = slots(of: model)
        var values: [[Float]] = []
        for slot in slots {
            guard let (written, entry) = byName.removeValue(forKey: slot.name) else {
                throw refuse(slot.name, "is missing (\(model.head == nil ? "tied" : "untied") GPT-2 with \(model.blocks.count) blocks)")
            }
            guard entry.shape == slot.fileShape else {
                throw refuse(written, "has shape \(entry.shape); the config's architecture needs \(slot.fileShape)")
            }
            values.append(slot.isConv1DWeight ? transposed(entry.values, rows: entry.shape[0], columns: entry.shape[1]) : entry.values)
        }
        if model.head == nil, let (written, entry) = byName.removeValue(forKey: headName) {
            // A tied model's file may still hold the head (some writers save both): it must be the embedding.
            guard entry.shape == slots[0].fileShape, entry.values == values[0] else {
                throw refuse(written, "differs from wte, but tie_word_embeddings is true (set it false to load a separate head)")
            }
        }
        for (name, (written, _)) in byName {
            let parts = name.split(separator: ".")
            let isMaskBuffer = parts.count == 5 && parts[1] == "h" && Int(parts[2]) != nil && parts[3] == "attn"
                && (parts[4] == "bias" || parts[4] == "masked_bias")
            if isMaskBuffer && Int(parts[2])! < model.blocks.count { continue }
            throw refuse(written, "is not part of a GPT-2 with \(model.blocks.count) blocks and a \(model.head == nil ? "tied" : "separate") head")
        }
        for (slot, value) in zip(slots, values) { slot.parameter.data = value }
    }

    /// The tensors of `model` under Hugging Face's names, `Conv1D` weights transposed to
    /// `[in, out]`, with the `format: pt` metadata `transformers` expects; no `lm_head.weight` when
    /// the head is tied (as `save_pretrained` writes it).
    public static func safeTensors(of model: TransformerLM) -> SafeTensors {
        var tensors: [String: SafeTensors.Entry] = [:]
        for slot in slots(of: model) {
            let shape = slot.parameter.shape
            let values = slot.isConv1DWeight ? transposed(slot.parameter.data, rows: shape[0], columns: shape[1]) : slot.parameter.data
            tensors[slot.name] = SafeTensors.Entry(shape: slot.fileShape, values: values)
        }
        return SafeTensors(tensors: tensors, metadata: ["format": "pt"])
    }

    /// `values`, a row-major `[rows, columns]` matrix, as row-major `[columns, rows]`.
    static func transposed(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for r in 0..<rows {
                    for c in 0..<columns { target[c * rows + r] = source[r * columns + c] }
                }
            }
        }
        return result
    }
}

/// A Hugging Face GPT-2 checkpoint Fleet cannot load or write, and why (the file and tensor are named).
public struct GPT2CheckpointError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
