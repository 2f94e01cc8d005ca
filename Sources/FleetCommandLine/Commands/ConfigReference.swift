import ArgumentParser
import FleetConfig

struct ConfigReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-reference",
        abstract: "Print the config reference (every key, its type, default and doc) as Markdown.",
        discussion: "docs/config.md is this output (scripts/generate-config-doc.sh writes it).")

    func run() throws {
        print(ConfigReference.markdown, terminator: "")
    }
}
