import Foundation
import XCTest

@testable import FleetTransport

final class ErrorTests: XCTestCase {
    func testNonBlockingReceiveOnAnEmptySocketWouldBlock() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        try pull.bind("inproc://empty")
        XCTAssertThrowsError(try pull.receive(flags: .dontWait)) { error in
            XCTAssertEqual(error as? ZMQError, .wouldBlock)
        }
        XCTAssertThrowsError(try pull.receiveMessage(flags: .dontWait).count) { error in
            // The named value matches as a pattern too.
            guard case ZMQError.wouldBlock = error else { return XCTFail("\(error)") }
        }
    }

    func testReceiveTimeoutExpiresWithWouldBlock() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull, receiveTimeout: .milliseconds(50))
        try pull.bind("inproc://timeout")
        let start = ContinuousClock.now
        XCTAssertThrowsError(try pull.receive()) { XCTAssertEqual($0 as? ZMQError, .wouldBlock) }
        let elapsed = ContinuousClock.now - start
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(40))
        XCTAssertLessThan(elapsed, .seconds(2))
    }

    func testShuttingDownTheContextWakesABlockedReceiveWithTerminated() throws {
        let context = try Context()
        let blocked = Flag()
        let finished = Flag()
        let outcome = Locked<ZMQError?>(nil)
        let thread = Thread {
            do {
                let pull = try Socket(context, .pull, linger: .zero)
                try pull.bind("inproc://terminated")
                blocked.set()
                _ = try pull.receive()
            } catch let error as ZMQError {
                outcome.value = error
            } catch {}
            finished.set()
        }
        thread.start()
        XCTAssertTrue(blocked.wait(timeout: .seconds(5)))
        Thread.sleep(forTimeInterval: 0.05)  // let the receive block (it fails the same way if not yet)
        XCTAssertFalse(finished.isSet)
        context.shutdown()
        XCTAssertTrue(finished.wait(timeout: .seconds(5)), "the blocked receive never woke")
        XCTAssertEqual(outcome.value, .terminated)
        XCTAssertThrowsError(try Socket(context, .push)) { XCTAssertEqual($0 as? ZMQError, .terminated) }
    }

    func testBindingAnAddressInUseFailsWithContext() throws {
        let context = try Context()
        let first = try makeSocket(context, .pull)
        let endpoint = try bindResolved(first, "tcp://127.0.0.1:*")
        let second = try makeSocket(context, .pull)
        XCTAssertThrowsError(try second.bind(endpoint)) { error in
            let error = error as? ZMQError
            XCTAssertEqual(error, .addressInUse)
            XCTAssertEqual(error?.endpoint, endpoint)
            XCTAssertEqual(error?.operation, "zmq_bind")
            XCTAssertEqual(error?.description, "zmq_bind(\(endpoint)): Address already in use")
        }
        try first.bind("inproc://taken")
        XCTAssertThrowsError(try second.bind("inproc://taken")) {
            XCTAssertEqual($0 as? ZMQError, .addressInUse)
        }
    }

    func testBadEndpointsAreNamedErrors() throws {
        let context = try Context()
        let socket = try makeSocket(context, .push)
        XCTAssertThrowsError(try socket.bind("carrier-pigeon://loft")) {
            XCTAssertEqual($0 as? ZMQError, .protocolNotSupported)
        }
        XCTAssertThrowsError(try socket.bind("tcp://no-such-interface-fleet:5555")) {
            XCTAssertEqual($0 as? ZMQError, .noSuchDevice)
        }
        XCTAssertThrowsError(try socket.connect("tcp://127.0.0.1")) {
            XCTAssertEqual($0 as? ZMQError, .invalidArgument)
        }
        XCTAssertThrowsError(try socket.unbind("inproc://never-bound")) {
            XCTAssertEqual($0 as? ZMQError, .noSuchEndpoint)
        }
    }

    func testPushWithoutAPeerWouldBlockWhenNotWaiting() throws {
        let context = try Context()
        let push = try makeSocket(context, .push)
        XCTAssertThrowsError(try push.send("nobody".bytes, flags: .dontWait)) {
            XCTAssertEqual($0 as? ZMQError, .wouldBlock)
        }
    }

    func testPushAtItsHighWaterMarkWouldBlockWhenNotWaiting() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        try pull.set(.receiveHighWaterMark, to: 2)
        let push = try makeSocket(context, .push)
        try push.set(.sendHighWaterMark, to: 2)
        try push.connect(try bindResolved(pull, "inproc://full"))
        var sent = 0
        var failure: ZMQError?
        while sent < 1_000 && failure == nil {
            do {
                try push.send([UInt8](repeating: 1, count: 64), flags: .dontWait)
                sent += 1
            } catch {
                failure = error
            }
        }
        XCTAssertEqual(failure, .wouldBlock)
        XCTAssertGreaterThanOrEqual(sent, 2)
        XCTAssertLessThanOrEqual(sent, 4)
        // Draining the queue makes room again.
        for _ in 0..<sent { XCTAssertEqual(try pull.receive().count, 64) }
        try push.set(.sendTimeout, to: .seconds(5))
        try push.send([1])
        XCTAssertEqual(try pull.receive(), [1])
    }

    func testFiniteLingerLetsCloseAndTerminateReturnWithUndeliveredMessages() throws {
        let done = Flag()
        let thread = Thread {
            do {
                let context = try Context()
                let push = try Socket(context, .push, linger: .milliseconds(100))
                // Port 9 (discard) is not listening on loopback here: the message can never leave.
                try push.connect("tcp://127.0.0.1:9")
                try push.send([UInt8](repeating: 0, count: 1_000))
            } catch {}
            // The socket and then the context were released here, waiting at most the linger.
            done.set()
        }
        let start = ContinuousClock.now
        thread.start()
        XCTAssertTrue(done.wait(timeout: .seconds(5)), "close or terminate hung")
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
    }
}
