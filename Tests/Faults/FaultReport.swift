import Foundation
import XCTest

/// What every fault test prints: one line `FAULT | <test> | <what must hold> | <figure>`, which
/// `make faults` collects into the README's reliability table.
enum FaultReport {
    static func figure(_ test: String, mustHold: String, _ figure: String) {
        print("FAULT | \(test) | \(mustHold) | \(figure)")
    }

    /// Whether the long fault tests run (`make faults` sets `FLEET_FAULTS_LONG=1`).
    static var longRuns: Bool { ProcessInfo.processInfo.environment["FLEET_FAULTS_LONG"] == "1" }

    /// Skips a long test outside `make faults`, saying so.
    static func requireLongRuns() throws {
        try XCTSkipUnless(longRuns, "a long fault test: run it with `make faults` (FLEET_FAULTS_LONG=1)")
    }
}
