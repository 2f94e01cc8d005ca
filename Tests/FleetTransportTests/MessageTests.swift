import Foundation
import XCTest

@testable import FleetTransport

/// Bytes owned by an object whose end the test can observe.
private final class ObservedBuffer: Sendable {
    nonisolated(unsafe) let bytes: UnsafeMutableRawBufferPointer
    let freed: Flag

    init(count: Int, freed: Flag) {
        bytes = .allocate(byteCount: count, alignment: 16)
        for i in 0..<count { bytes[i] = UInt8(truncatingIfNeeded: i) }
        self.freed = freed
    }

    deinit {
        bytes.deallocate()
        freed.set()
    }
}

final class MessageTests: XCTestCase {
    func testZeroCopySendKeepsTheOwnerAliveUntilTheReceiverDropsTheMessage() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindResolved(pull, "inproc://zero-copy"))

        let freed = Flag()
        let address: UnsafeRawPointer
        do {
            let owner = ObservedBuffer(count: 1 << 20, freed: freed)
            address = UnsafeRawPointer(owner.bytes.baseAddress!)
            try push.send(try Message(noCopy: UnsafeRawBufferPointer(owner.bytes), owner: owner))
        }
        XCTAssertFalse(freed.isSet, "libzmq let go of bytes it had not delivered")

        do {
            let received = try pull.receiveMessage()
            XCTAssertEqual(received.count, 1 << 20)
            received.withUnsafeBytes { bytes in
                // Over inproc the receiver reads the sender's very bytes.
                XCTAssertEqual(bytes.baseAddress, address)
                XCTAssertEqual(bytes[1000], UInt8(truncatingIfNeeded: 1000))
            }
            XCTAssertFalse(freed.isSet, "the owner went away while its bytes were being read")
        }
        XCTAssertTrue(freed.isSet, "dropping the received message did not release the owner")
    }

    func testZeroCopySendOverTCPReleasesTheOwnerOnceSent() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindResolved(pull, "tcp://127.0.0.1:*"))
        let freed = Flag()
        do {
            let owner = ObservedBuffer(count: 300_000, freed: freed)
            try push.send(try Message(noCopy: UnsafeRawBufferPointer(owner.bytes), owner: owner))
        }
        let bytes = try pull.receive()
        XCTAssertEqual(bytes.count, 300_000)
        XCTAssertEqual(bytes[299_999], UInt8(truncatingIfNeeded: 299_999))
        XCTAssertTrue(freed.wait(timeout: .seconds(5)))
    }

    func testZeroCopyArrayIsSentFromItsOwnStorage() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindResolved(pull, "inproc://zero-copy-array"))
        let array = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let address = array.withUnsafeBytes { UnsafeRawPointer($0.baseAddress!) }
        try push.send(try Message(noCopy: array))
        let received = try pull.receiveMessage()
        received.withUnsafeBytes { XCTAssertEqual($0.baseAddress, address) }
        XCTAssertEqual(received.bytes, array)
    }

    func testCopiedAndEmptyMessages() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindResolved(pull, "inproc://copies"))
        try push.send(try Message(copying: [1, 2, 3]))
        try push.send(Message())
        try push.send(try Message(noCopy: []))
        try ([9, 8] as [UInt8]).withUnsafeBytes { (raw: UnsafeRawBufferPointer) in try push.send(raw) }
        XCTAssertEqual(try pull.receive(), [1, 2, 3])
        XCTAssertEqual(try pull.receiveMessage().count, 0)
        XCTAssertEqual(try pull.receive(), [])
        XCTAssertEqual(try pull.receive(), [9, 8])
    }

    func testMaxMessageSizeDropsAnOversizeMessage() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull, receiveTimeout: .milliseconds(300))
        try pull.set(.maxMessageSize, to: 1_000)
        let push = try makeSocket(context, .push)
        try push.connect(try bindResolved(pull, "tcp://127.0.0.1:*"))

        try push.send([UInt8](repeating: 1, count: 1_000))
        XCTAssertEqual(try pull.receive().count, 1_000, "a message at the limit arrives")
        try push.send([UInt8](repeating: 2, count: 1_001))
        XCTAssertThrowsError(try pull.receive()) { XCTAssertEqual($0 as? ZMQError, .wouldBlock) }
    }
}
