import FleetTensor
import Foundation

extension RunDirectory {
    /// Where a run with `model.path` leaves its trained policy as a Hugging Face GPT-2 folder.
    public var modelDirectory: URL { url.appendingPathComponent("model", isDirectory: true) }

    /// Writes `policy` to ``modelDirectory`` in the format of the folder `source` (its config's
    /// fields and tokenizer files carried over), for `transformers` to load.
    public func writeModel(_ policy: TransformerLM, like source: String) throws {
        try GPT2Checkpoint.write(policy, to: modelDirectory, like: URL(fileURLWithPath: source))
    }
}
