import FleetCluster
import XCTest
import FleetConfig

/// `fleet actor --connect`: how a target turns the config's endpoints into an actor's.
final class ChannelConnectTests: XCTestCase {
    private let tcp = ChannelEndpoints(
        batches: "tcp://*:5555", weights: "tcp://*:5556", control: "tcp://0.0.0.0:5557")

    func testTCPHostKeepsTheConfigsPorts() throws {
        XCTAssertEqual(
            try tcp.connecting(to: "tcp://10.0.0.2"),
            ChannelEndpoints(batches: "tcp://10.0.0.2:5555", weights: "tcp://10.0.0.2:5556", control: "tcp://10.0.0.2:5557"))
    }

    func testIPCDirectoryNamesOneSocketPerChannel() throws {
        XCTAssertEqual(
            try ChannelEndpoints.inproc("x").connecting(to: "ipc:///tmp/run/"),
            ChannelEndpoints(batches: "ipc:///tmp/run/batches", weights: "ipc:///tmp/run/weights", control: "ipc:///tmp/run/control"))
    }

    func testBadTargetsAreClearErrors() {
        XCTAssertThrowsError(try tcp.connecting(to: "10.0.0.2"))
        XCTAssertThrowsError(try tcp.connecting(to: "tcp://10.0.0.2:5555"))
        XCTAssertThrowsError(try ChannelEndpoints.inproc("x").connecting(to: "tcp://10.0.0.2")) {
            XCTAssertEqual($0 as? ConnectTargetError, .notTCP("inproc://x-batches"))
        }
    }

    func testInprocIsNotReachableFromOtherProcesses() {
        XCTAssertFalse(ChannelEndpoints.inproc("x").areReachableFromOtherProcesses)
        XCTAssertTrue(tcp.areReachableFromOtherProcesses)
    }
}
