import FleetCluster
import XCTest
import FleetConfig
@testable import FleetTools

final class RestartBackoffTests: XCTestCase {
    func testDelaysDoubleUpToTheCeilingThenStop() {
        let backoff = RestartBackoff(initialDelay: .seconds(1), maxDelay: .seconds(5), maxRestarts: 4)
        XCTAssertEqual((0...4).map { backoff.delay(afterRestarts: $0) }, [.seconds(1), .seconds(2), .seconds(4), .seconds(5), nil])
    }
}
