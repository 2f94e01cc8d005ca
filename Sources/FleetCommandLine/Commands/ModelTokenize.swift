import ArgumentParser
import FleetEnvironments
import FleetTools
import Foundation

/// `fleet model tokenize`: a model folder's GPT-2 tokenizer over standard input, one JSON value a
/// line, for checking Fleet's ids against another implementation's.
struct ModelTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode JSON strings from standard input with a GPT-2 model folder's tokenizer (or decode ids).",
        discussion: """
            Reads the folder's tokenizer.json, or else its vocab.json and merges.txt. Each line of \
            standard input is a JSON string; each line of output the JSON array of its ids, without \
            special tokens (a literal <|endoftext|> in the text is encoded as plain text). With \
            --decode each input line is a JSON array of ids and each output line the JSON string of \
            their text (<|endoftext|> skipped before the first other id, ending the text after it). \
            --words prints each string's words instead (the pieces GPT-2's regex cuts it into, \
            which no token spans), as a JSON array of strings. --spec prints the tokenizer's spec \
            and vocabulary size.
              printf '%s\\n' '"Hello world"' | fleet model tokenize --model models/gpt2
            """)

    @Option(
        help: ArgumentHelp("The model folder (tokenizer.json, or vocab.json and merges.txt).", valueName: "dir"),
        completion: .directory)
    var model: String
    @Flag(help: "Read JSON arrays of ids and print the JSON string of each one's text.")
    var decode = false
    @Flag(help: "Print each string's words (GPT-2's regex pre-tokenization) as a JSON array of strings.")
    var words = false
    @Flag(help: "Print the tokenizer's spec and vocabulary size, and read nothing.")
    var spec = false

    func validate() throws {
        guard [decode, words, spec].filter({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --decode, --words and --spec")
        }
    }

    func run() throws {
        let tokenizer: GPT2Tokenizer
        do {
            tokenizer = try GPT2Tokenizer(folder: model)
        } catch {
            printError("fleet model tokenize: \(error)")
            throw ExitCode.failure
        }
        if spec {
            print("spec: \(tokenizer.spec)")
            print("vocabulary_size: \(tokenizer.vocabularySize)")
            return
        }
        // JSONDecoder, not JSONSerialization: the latter drops a U+FEFF that starts a string.
        let decoder = JSONDecoder()
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if decode {
                guard let ids = try? decoder.decode([Int32].self, from: Data(line.utf8)) else {
                    printError("fleet model tokenize: standard input line \(lineNumber): not a JSON array of ids")
                    throw ExitCode.failure
                }
                print(Self.json(tokenizer.decode(ids)))
            } else {
                guard let text = try? decoder.decode(String.self, from: Data(line.utf8)) else {
                    printError("fleet model tokenize: standard input line \(lineNumber): not a JSON string")
                    throw ExitCode.failure
                }
                if words {
                    print(Self.json(GPT2Tokenizer.words(text).map(String.init)))
                } else {
                    print("[" + tokenizer.encode(text).map(String.init).joined(separator: ",") + "]")
                }
            }
        }
    }

    private static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { preconditionFailure("strings encode as JSON") }
        return String(decoding: data, as: UTF8.self)
    }
}
