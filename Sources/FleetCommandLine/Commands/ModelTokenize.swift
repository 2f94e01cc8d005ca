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
            --spec prints the tokenizer's spec and vocabulary size instead.
              printf '%s\\n' '"Hello world"' | fleet model tokenize --model models/gpt2
            """)

    @Option(help: ArgumentHelp("The model folder (tokenizer.json, or vocab.json and merges.txt).", valueName: "dir"), completion: .directory)
    var model: String
    @Flag(help: "Read JSON arrays of ids and print the JSON string of each one's text.")
    var decode = false
    @Flag(help: "Print the tokenizer's spec and vocabulary size, and read nothing.")
    var spec = false

    func validate() throws {
        guard !(decode && spec) else { throw ValidationError("--decode and --spec exclude each other") }
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
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            if decode {
                guard let items = value as? [Any], let ids = Self.ids(items) else {
                    printError("fleet model tokenize: standard input line \(lineNumber): not a JSON array of integer ids")
                    throw ExitCode.failure
                }
                print(Self.jsonString(tokenizer.decode(ids)))
            } else {
                guard let text = value as? String else {
                    printError("fleet model tokenize: standard input line \(lineNumber): not a JSON string")
                    throw ExitCode.failure
                }
                print("[" + tokenizer.encode(text).map(String.init).joined(separator: ",") + "]")
            }
        }
    }

    private static func ids(_ items: [Any]) -> [Int32]? {
        var ids: [Int32] = []
        for item in items {
            // Foundation reads JSON's true and false as numbers of type "c".
            guard let number = item as? NSNumber, String(cString: number.objCType) != "c",
                let integer = item as? Int, let id = Int32(exactly: integer)
            else { return nil }
            ids.append(id)
        }
        return ids
    }

    private static func jsonString(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(text) else { preconditionFailure("a string encodes as JSON") }
        return String(decoding: data, as: UTF8.self)
    }
}
