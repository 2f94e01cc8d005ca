import CFleetProto
import Foundation
import XCTest

/// Facts about the schema itself: the committed protoc-c output is current, and no message type
/// can contain itself (protobuf-c has no recursion limit).
final class SchemaTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testCommittedGeneratedCodeIsCurrent() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.repositoryRoot.appendingPathComponent("proto/generate.sh").path, "--check"]
        process.currentDirectoryURL = Self.repositoryRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "proto/generate.sh --check:\n\(text)")
    }

    // MARK: - No recursive messages

    /// A cycle reachable from `root` in the graph given by `children`, as the list of nodes on it
    /// (first node repeated at the end), or nil when there is none.
    static func findCycle<Node: Hashable>(from root: Node, children: (Node) -> [Node]) -> [Node]? {
        var done = Set<Node>()
        var path: [Node] = []
        var onPath = Set<Node>()
        func visit(_ node: Node) -> [Node]? {
            if onPath.contains(node) {
                let start = path.firstIndex(of: node) ?? 0
                return Array(path[start...]) + [node]
            }
            if done.contains(node) { return nil }
            path.append(node)
            onPath.insert(node)
            for child in children(node) {
                if let cycle = visit(child) { return cycle }
            }
            path.removeLast()
            onPath.remove(node)
            done.insert(node)
            return nil
        }
        return visit(root)
    }

    /// Message full name -> the message types of its fields, from the protobuf-c runtime
    /// descriptors reachable from `Frame`.
    static func messageGraph() -> (root: String, edges: [String: [String]]) {
        var edges: [String: [String]] = [:]
        func walk(_ descriptor: ProtobufCMessageDescriptor) -> String {
            let name = String(cString: descriptor.name)
            if edges[name] != nil { return name }
            edges[name] = []
            var children: [String] = []
            for i in 0..<Int(descriptor.n_fields) {
                let field = descriptor.fields[i]
                guard field.type == PROTOBUF_C_TYPE_MESSAGE, let sub = field.descriptor else { continue }
                children.append(walk(sub.assumingMemoryBound(to: ProtobufCMessageDescriptor.self).pointee))
            }
            edges[name] = children
            return name
        }
        let root = walk(fleet__v1__frame__descriptor)
        return (root, edges)
    }

    func testNoMessageTypeContainsItself() {
        let (root, edges) = Self.messageGraph()
        XCTAssertEqual(root, "fleet.v1.Frame")
        // The walk reached every message of the schema.
        XCTAssertEqual(
            Set(edges.keys),
            Set(
                [
                    "Frame", "Envelope", "TrajectoryBatch", "GroupBatch", "Tensor", "NamedTensor", "Weights",
                    "Hello", "Welcome", "Heartbeat", "SnapshotRequest", "Stats", "Scalar", "Shutdown",
                    "StatusRequest", "Status", "Space", "Refusal", "EnvSpecRequest", "EnvSpec", "EnvReset", "EnvStep",
                    "EnvState", "RewardRequest", "RewardReply", "Credit",
                ].map { "fleet.v1." + $0 }))
        XCTAssertEqual(edges["fleet.v1.Weights"], ["fleet.v1.NamedTensor"])
        let cycle = Self.findCycle(from: root) { edges[$0] ?? [] }
        XCTAssertNil(cycle, "recursive messages: \(cycle ?? [])")
    }

    func testCycleCheckFindsCycles() {
        let indirect = ["A": ["B", "C"], "B": ["D"], "C": ["D"], "D": ["E"], "E": ["B"]]
        XCTAssertEqual(Self.findCycle(from: "A") { indirect[$0] ?? [] }, ["B", "D", "E", "B"])
        let direct = ["A": ["B"], "B": ["B"]]
        XCTAssertEqual(Self.findCycle(from: "A") { direct[$0] ?? [] }, ["B", "B"])
        let diamond = ["A": ["B", "C"], "B": ["D"], "C": ["D"], "D": []]
        XCTAssertNil(Self.findCycle(from: "A") { diamond[$0] ?? [] })
    }
}
