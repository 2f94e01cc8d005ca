import XCTest

@testable import FleetTransport

final class PollerTests: XCTestCase {
    func testPollerReportsWhichSocketIsReady() throws {
        let context = try Context()
        let batches = try makeSocket(context, .pull)
        let control = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindResolved(control, "inproc://poll-control"))
        try batches.bind("inproc://poll-batches")

        var poller = Poller()
        let batchIndex = poller.add(batches)
        let controlIndex = poller.add(control)
        let pushIndex = poller.add(push, for: .writable)

        var ready = try poller.poll(timeout: .zero)
        XCTAssertEqual(ready[batchIndex], [])
        XCTAssertEqual(ready[controlIndex], [])
        XCTAssertEqual(ready[pushIndex], .writable)

        try push.send("stop".bytes)
        ready = try poller.poll(timeout: .seconds(5))
        XCTAssertEqual(ready[batchIndex], [])
        XCTAssertEqual(ready[controlIndex], .readable)
        XCTAssertEqual(try control.receive(flags: .dontWait), "stop".bytes)
    }

    func testPollerTimesOutWhenNothingIsReady() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        try pull.bind("inproc://poll-idle")
        var poller = Poller()
        _ = poller.add(pull)
        let start = ContinuousClock.now
        XCTAssertEqual(try poller.poll(timeout: .milliseconds(30)), [[]])
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(25))
    }
}
