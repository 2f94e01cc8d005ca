import Foundation
import XCTest

/// Hosts for a test, made of Linux network namespaces on one private subnet, removed when the test
/// ends; ``setLink(ofHost:up:)`` cuts a host off and back.
///
/// Host 0 holds a bridge (`br0`) with the subnet's `.1` address; every other host is joined to the
/// bridge by a veth pair (`vethN` on the bridge, `eth0` in host N) and has the address `.N+1`. Each
/// namespace has `lo` up and no route anywhere else: traffic between the hosts never leaves them.
/// The names (`fleet-hN-XXXXXX`) and the subnet (`10.A.B.0/24`, A in 200...249) are chosen at random.
///
/// Needs `ip` (iproute2) and root; ``make(count:test:)`` throws `XCTSkip` saying so when either is missing.
public final class TestHosts {
    public struct Host {
        /// The namespace's name (`ip netns exec NAME …`).
        public let name: String
        /// Its IPv4 address on the subnet.
        public let address: String
    }

    public let hosts: [Host]

    private init(hosts: [Host]) { self.hosts = hosts }

    /// `ip` (iproute2), if installed.
    public static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Makes `count` hosts (at least 2); `test` removes them (and with them their links) in its teardown.
    public static func make(count: Int, test: XCTestCase) throws -> TestHosts {
        precondition(count >= 2 && count < 250)
        guard let ip else { throw XCTSkip("multi-host tests need `ip` (Debian package iproute2)") }
        let suffix = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(6)).lowercased()
        let subnet = "10.\(Int.random(in: 200...249)).\(Int.random(in: 0...255))"
        let hosts = (0..<count).map { Host(name: "fleet-h\($0 + 1)-\(suffix)", address: "\(subnet).\($0 + 1)") }

        for (index, host) in hosts.enumerated() {
            let added = try run(ip, ["netns", "add", host.name])
            if added.status != 0 {
                guard index == 0 else { throw Failure("ip netns add \(host.name): \(added.stderr)") }
                throw XCTSkip(
                    "multi-host tests need to create network namespaces (root or CAP_SYS_ADMIN); "
                        + "`ip netns add` failed: \(added.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            // Deleting a namespace removes its links, and a veth pair goes with either end.
            test.addTeardownBlock { _ = try? run(ip, ["netns", "delete", host.name]) }
        }
        // Runs before the deletions (teardown blocks run last-added first): nothing the test started
        // in a host outlives it, whoever its parent was.
        let names = hosts.map(\.name)
        test.addTeardownBlock { killProcesses(inNamespaces: names) }
        let hub = hosts[0].name
        try check(ip, ["-n", hub, "link", "add", "br0", "type", "bridge"])
        try check(ip, ["-n", hub, "addr", "add", "\(hosts[0].address)/24", "dev", "br0"])
        for (index, host) in hosts.enumerated().dropFirst() {
            // Both ends are made inside their namespaces, so no name is ever taken in the test's own.
            try check(ip, ["link", "add", "veth\(index)", "netns", hub, "type", "veth", "peer", "name", "eth0", "netns", host.name])
            try check(ip, ["-n", hub, "link", "set", "veth\(index)", "master", "br0"])
            try check(ip, ["-n", hub, "link", "set", "veth\(index)", "up"])
            try check(ip, ["-n", host.name, "addr", "add", "\(host.address)/24", "dev", "eth0"])
            try check(ip, ["-n", host.name, "link", "set", "eth0", "up"])
        }
        try check(ip, ["-n", hub, "link", "set", "br0", "up"])
        for host in hosts { try check(ip, ["-n", host.name, "link", "set", "lo", "up"]) }
        return TestHosts(hosts: hosts)
    }

    /// The command that runs a program in `host`: `ip netns exec NAME`, which execs it in place.
    public func launcher(_ host: Host) -> [String] { [Self.ip!, "netns", "exec", host.name] }

    /// Cuts (`up: false`) or restores the cable of host `index` (1 or more): its veth on the bridge,
    /// `vethINDEX` in host 0, goes down or up. Packets to and from the host are dropped while it is
    /// down (its own `eth0` loses carrier; its address and routes stay, as with a pulled cable).
    public func setLink(ofHost index: Int, up: Bool) throws {
        precondition(index >= 1 && index < hosts.count)
        try Self.check(Self.ip!, ["-n", hosts[0].name, "link", "set", "veth\(index)", up ? "up" : "down"])
    }

    /// The inode of `host`'s network namespace, as `/proc/PID/ns/net` names it (`net:[INODE]`).
    public func namespaceInode(_ host: Host) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: "/run/netns/\(host.name)")
        return try XCTUnwrap((attributes[.systemFileNumber] as? NSNumber)?.uint64Value)
    }

    /// The processes now in any of the network namespaces `names`.
    public static func processes(inNamespaces names: [String]) -> [Int32] {
        let inodes = Set(names.compactMap { name in
            (try? FileManager.default.attributesOfItem(atPath: "/run/netns/\(name)"))
                .flatMap { ($0[.systemFileNumber] as? NSNumber)?.uint64Value }
        })
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            namespaceInode(ofProcess: pid).map(inodes.contains) ?? false
        }
    }

    /// SIGKILLs every process in the network namespaces `names`, until none is left (bounded).
    public static func killProcesses(inNamespaces names: [String]) {
        let deadline = Date().addingTimeInterval(5)
        while case let pids = processes(inNamespaces: names), !pids.isEmpty, Date() < deadline {
            for pid in pids { kill(pid, SIGKILL) }
            usleep(20_000)
        }
    }

    /// The inode of the network namespace process `pid` is in, or nil if it is gone.
    public static func namespaceInode(ofProcess pid: Int32) -> UInt64? {
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net"),
            link.hasPrefix("net:["), link.hasSuffix("]")
        else { return nil }
        return UInt64(link.dropFirst(5).dropLast())
    }

    /// The remote IPv4 addresses of the established TCP connections to `ports` in the network
    /// namespace of process `pid` (read from its `/proc/PID/net/tcp`, no process started).
    public static func peers(ofProcess pid: Int32, localPorts ports: Set<UInt16>) -> Set<String> {
        guard let table = try? String(contentsOfFile: "/proc/\(pid)/net/tcp", encoding: .utf8) else { return [] }
        var peers: Set<String> = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            // sl local_address rem_address st …; addresses are HEXIP:HEXPORT, the IP as the kernel
            // holds it (network byte order) read as a native integer.
            guard fields.count > 3, fields[3] == "01",  // ESTABLISHED
                let local = address(fields[1]), ports.contains(local.port), let remote = address(fields[2])
            else { continue }
            peers.insert(remote.ip)
        }
        return peers
    }

    private static func address(_ field: Substring) -> (ip: String, port: UInt16)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, parts[0].count == 8, let raw = UInt32(parts[0], radix: 16),
            let port = UInt16(parts[1], radix: 16)
        else { return nil }
        let bytes = withUnsafeBytes(of: raw) { Array($0) }
        return (bytes.map(String.init).joined(separator: "."), port)
    }

    // MARK: - Running ip

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func check(_ ip: String, _ arguments: [String]) throws {
        let result = try run(ip, arguments)
        guard result.status == 0 else {
            throw Failure("ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }
}
