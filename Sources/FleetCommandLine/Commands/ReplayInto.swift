import ArgumentParser
import FleetCluster
import FleetConfig
import FleetTools
import FleetTransport
import FleetWire
import Foundation
import Logging

/// `fleet replay --into ENDPOINT`: the capture's batches sent to a live learner by actors of
/// their original ids (``CaptureInjection``).
struct ReplayInto {
    let config: RunConfig
    let endpoint: String
    let pace: ReplayPace
    let mode: CaptureReader.Mode
    let files: [String]

    func run() throws {
        var config = config
        do {
            config.endpoints = try config.endpoints.connecting(to: endpoint)
        } catch {
            printError("fleet replay: \(error)")
            throw ExitCode.validationFailure
        }
        let context = try Context()
        let signals = ShutdownOnSignal(context)
        let injection = CaptureInjection(config: config, files: files, mode: mode, pace: pace)
        let outcome: CaptureInjection.Outcome
        do {
            outcome = try injection.run(context: context, log: Logger(label: "fleet replay"))
        } catch {
            printError("fleet replay: \(error)")
            throw ExitCode.failure
        }
        context.shutdown()
        for damage in outcome.damage {
            printError(
                "fleet replay: skipped \(damage.kind) in \(damage.file) at offset \(damage.offset) "
                    + "(\(damage.skippedBytes) bytes): \(damage.detail)")
        }
        for id in outcome.sent.keys.sorted() {
            print("\(id): sent \(outcome.sent[id] ?? 0) batches (\(outcome.endings[id] ?? "stopped"))")
            if let unsendable = outcome.unsendable[id], unsendable > 0 {
                printError("fleet replay: \(id): passed over \(unsendable) captured frames that are not batches it can send")
            }
        }
        print("sent \(outcome.sent.values.reduce(0, +)) batches into \(endpoint)")
        if signals.isRaised { throw ExitCode(130) }
    }
}

extension ReplayPace: ExpressibleByArgument {}
