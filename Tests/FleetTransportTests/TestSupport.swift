import Foundation
import Synchronization
import XCTest

@testable import FleetTransport

/// The three transports, each as an endpoint to bind (connect to the socket's `lastEndpoint`).
struct Transport: CustomStringConvertible {
    let name: String
    let bindEndpoint: String
    var description: String { name }
}

/// A fresh directory for `ipc://` socket files, removed by `remove()`.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "fleet-transport-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

extension XCTestCase {
    /// Runs `body` once per transport: inproc, ipc (in a temp dir removed afterwards), tcp on an
    /// ephemeral loopback port.
    func forEachTransport(
        file: StaticString = #filePath, line: UInt = #line, _ body: (Transport) throws -> Void
    ) throws {
        let directory = try TemporaryDirectory()
        defer {
            directory.remove()
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path), file: file, line: line)
        }
        let transports = [
            Transport(name: "inproc", bindEndpoint: "inproc://test-\(UUID().uuidString)"),
            Transport(name: "ipc", bindEndpoint: "ipc://\(directory.path)/socket"),
            Transport(name: "tcp", bindEndpoint: "tcp://127.0.0.1:*"),
        ]
        for transport in transports {
            do { try body(transport) } catch {
                XCTFail("\(transport): \(error)", file: file, line: line)
            }
        }
    }
}

/// A socket that gives up on a receive after `timeout`, so a failing test fails instead of hanging.
func makeSocket(
    _ context: Context, _ type: SocketType, receiveTimeout: Duration = .seconds(5)
) throws -> Socket {
    let socket = try Socket(context, type, linger: .milliseconds(100))
    try socket.set(.receiveTimeout, to: receiveTimeout)
    return socket
}

/// Binds `socket` and returns the endpoint to connect to.
func bindResolved(_ socket: Socket, _ endpoint: String) throws -> String {
    try socket.bind(endpoint)
    return try XCTUnwrap(socket.lastEndpoint)
}

/// A value shared between threads.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }
}

/// A flag set from any thread.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }

    /// Waits up to `timeout` for the flag; true when it was set.
    func wait(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isSet {
            if ContinuousClock.now > deadline { return false }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return true
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
