import ArgumentParser
import FleetCluster
import FleetTools
import FleetWire
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a capture: records, batch kinds, versions, lag, rewards and returns, episodes, damage.",
        discussion: """
            CAPTURE is a capture directory (a run's captures/, written with --capture) or capture files. \
            A directory stands for all its files, consumed, dropped and sent, and its manifest adds the \
            run's id, algorithm, subject, seed, weights_sha256 and whether it is complete. The report \
            lists the files (records, bytes), records by kind, drops by reason, batch kinds (frames that \
            do not decode count as undecodable), records by sender, the learner and policy version ranges \
            and the updates, the policy-lag histogram (learner version minus the batch's policy version) \
            of consumed and dropped batches, env steps or responses, rewards, finished episodes and their \
            returns and lengths, and the time span. \
            Damage (a torn tail, a corrupt record, a record that is not a capture entry) is listed with its \
            file and offset and summed on the last line; the intact records are still counted, and the \
            exit status is 0. --strict exits 1 at the first damage instead. A path that is not a capture \
            exits 1. --json prints the same as JSON with sorted, snake_case keys, for scripts.
            """)

    @Argument(help: "Capture directories or files, in order.", completion: .file()) var captures: [String]
    @Flag(help: "Print JSON for scripts.") var json = false
    @Flag(help: "Fail at the first torn or corrupt record instead of reporting it.") var strict = false

    func run() throws {
        let inspection: CaptureInspection
        do {
            let selection = try CaptureSelection(captures, kinds: Set(CaptureEntry.Kind.allCases))
            inspection = try CaptureInspection(selection, mode: strict ? .strict : .lenient)
        } catch let error as CaptureError {
            printError("fleet inspect: \(error)")
            throw ExitCode.failure
        }
        print(json ? try inspection.json(pretty: true) : inspection.textReport)
    }
}
