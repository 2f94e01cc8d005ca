import ArgumentParser
import FleetCluster
import FleetTensor
import FleetTools
import Foundation

/// `fleet model export`: a Fleet policy file of a GPT-2 architecture written as a Hugging Face folder.
struct ModelExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a Fleet policy (a run's policy file) as a Hugging Face GPT-2 folder.",
        discussion: """
            The policy's architecture must be that of the --like folder's config.json (the folder a \
            run's model.path named); its config fields and tokenizer files are carried over. \
            transformers' GPT2LMHeadModel.from_pretrained loads the result.
            """)

    @Option(help: "A policy file (checkpoints/policy-final.fleet) or a run directory.", completion: .file())
    var policy: String
    @Option(help: "The GPT-2 folder whose architecture, config and tokenizer the policy has.", completion: .directory)
    var like: String
    @Option(help: "The folder to write (created if needed).", completion: .directory)
    var out: String

    func run() throws {
        do {
            let source = URL(fileURLWithPath: like)
            let model = TransformerLM(zeroed: try GPT2Checkpoint.config(in: source))
            let (policyURL, _) = Eval.locate(policy)
            do {
                try PolicyFile.read(policyURL).apply(to: model.namedParameters(), expectingSpec: model.spec)
            } catch {
                throw ValidationError("\(policyURL.path): \(error) (is it a policy of \(like)'s architecture?)")
            }
            try GPT2Checkpoint.write(model, to: URL(fileURLWithPath: out), like: source)
            print("wrote \(out)")
        } catch {
            printError("fleet model export: \(error)")
            throw ExitCode.failure
        }
    }
}
