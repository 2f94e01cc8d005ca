import ArgumentParser
import FleetTensor
import FleetTools
import Foundation

/// `fleet model logits`: a GPT-2 folder's next-token logits for token-id arrays read from stdin.
struct ModelLogits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Print a GPT-2 model folder's logits for token ids read from stdin.",
        discussion: """
            Each line of stdin is a JSON array of token ids (e.g. [464, 2068, 7586]). For each, one \
            line is printed: a JSON array holding, for every position, the array of the vocabulary's \
            logits (what position t predicts after seeing tokens 0...t).
            """)

    @Option(help: "A Hugging Face GPT-2 folder (config.json, model.safetensors).", completion: .directory)
    var model: String

    func run() throws {
        do {
            let lm = try GPT2Checkpoint.read(URL(fileURLWithPath: model))
            var number = 0
            while let line = readLine() {
                number += 1
                if line.allSatisfy(\.isWhitespace) { continue }
                let tokens = try Self.tokens(line, number: number, config: lm.config)
                let logits = withNoGrad { lm.forward(tokens: tokens, batch: 1, length: tokens.count) }.data
                let vocabulary = lm.config.vocabulary
                let rows = (0..<tokens.count).map { t in
                    "[" + logits[(t * vocabulary)..<((t + 1) * vocabulary)].map { "\($0)" }.joined(separator: ",") + "]"
                }
                print("[" + rows.joined(separator: ",") + "]")
            }
        } catch {
            printError("fleet model logits: \(error)")
            throw ExitCode.failure
        }
    }

    /// The ids of stdin's line `number`: a non-empty JSON array of ids the model knows, no longer than its context.
    static func tokens(_ line: String, number: Int, config: TransformerLM.Config) throws -> [Int] {
        guard let array = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any],
            let numbers = array as? [NSNumber], numbers.allSatisfy({ $0.doubleValue == Double($0.intValue) })
        else { throw ValidationError("stdin line \(number): not a JSON array of integer token ids") }
        let tokens = numbers.map(\.intValue)
        guard !tokens.isEmpty, tokens.count <= config.contextLength else {
            throw ValidationError("stdin line \(number): \(tokens.count) tokens; the model reads 1 to \(config.contextLength)")
        }
        if let bad = tokens.first(where: { !(0..<config.vocabulary).contains($0) }) {
            throw ValidationError("stdin line \(number): token id \(bad) is outside the vocabulary 0..<\(config.vocabulary)")
        }
        return tokens
    }
}
