import FleetCluster
import FleetConfig
import FleetProcessTesting
import FleetWire
import Foundation
import XCTest

// What the network fault tests (docs/reliability.md 6, 7, 8) share: reading processes' memory and CPU
// time from /proc, sampling them over time, `fleet status` from any network namespace, and the
// ledger that accounts for every batch an actor sent.

/// The network fault tests' helpers, in one namespace (other files of the target have their own).
enum NetFault {
    /// A process's resident memory and CPU time, read from `/proc` (no process started).
    enum ProcessProbe {
        /// `VmRSS` of `/proc/PID/status`, in bytes; nil once the process is gone.
        static func residentBytes(_ pid: Int32) -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
            else { return nil }
            return kilobytes * 1024
        }

        /// User plus system CPU time (`utime + stime` of `/proc/PID/stat`), in seconds.
        static func cpuSeconds(_ pid: Int32) -> Double? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return nil }
            // After "pid (comm) ": state is field 3, utime field 14, stime field 15.
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
    }

    /// Samples the resident memory and CPU time of named processes on a thread of its own, every
    /// `interval`, until stopped.
    final class Sampler: @unchecked Sendable {
        struct Sample {
            var time: Date
            var residentBytes: Int
            var cpuSeconds: Double
        }

        private let pids: [String: Int32]
        private let interval: TimeInterval
        private let lock = NSLock()
        private var series: [String: [Sample]] = [:]
        private var stopped = false
        private var thread: Thread?

        init(_ pids: [String: Int32], interval: TimeInterval = 0.05) {
            self.pids = pids
            self.interval = interval
        }

        func start() {
            sampleOnce()
            let thread = Thread { [self] in
                while !isStopped {
                    sampleOnce()
                    Thread.sleep(forTimeInterval: interval)
                }
            }
            self.thread = thread
            thread.start()
        }

        func stop() {
            lock.withLock { stopped = true }
        }

        private var isStopped: Bool { lock.withLock { stopped } }

        private func sampleOnce() {
            let now = Date()
            for (name, pid) in pids {
                guard let rss = ProcessProbe.residentBytes(pid), let cpu = ProcessProbe.cpuSeconds(pid) else { continue }
                lock.withLock { series[name, default: []].append(Sample(time: now, residentBytes: rss, cpuSeconds: cpu)) }
            }
        }

        /// The samples of `name` taken between `from` and `to`.
        func samples(_ name: String, from: Date = .distantPast, to: Date = .distantFuture) -> [Sample] {
            lock.withLock { (series[name] ?? []).filter { $0.time >= from && $0.time <= to } }
        }

        /// The largest resident memory of `name` between `from` and `to`, in bytes (0 without samples).
        func peakBytes(_ name: String, from: Date = .distantPast, to: Date = .distantFuture) -> Int {
            samples(name, from: from, to: to).map(\.residentBytes).max() ?? 0
        }

        /// `name`'s latest sample.
        func latest(_ name: String) -> Sample? { lock.withLock { series[name]?.last } }
    }

    /// Runs `fleet` (through `launcher`, e.g. `ip netns exec HOST`) to its end or for at most
    /// `timeout` seconds, and returns its standard output (nil if it failed or timed out).
    static func runFleetForOutput(_ arguments: [String], launcher: [String] = [], in directory: URL, timeout: TimeInterval) -> String? {
        let process = Process()
        if let command = launcher.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = launcher.dropFirst() + [FleetProcess.executable.path] + arguments
        } else {
            process.executableURL = FleetProcess.executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // A status document fits in a pipe's buffer: read it once the process has ended.
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// `fleet status` of one learner, asked from wherever `launcher` runs it.
    struct StatusProbe {
        var endpoint: String
        var launcher: [String] = []
        /// `--key FILE --learner-key FILE` for a learner with CURVE.
        var keyArguments: [String] = []
        var directory: URL

        /// The learner's status now, or nil when it does not answer within `timeout` seconds.
        func read(timeout: Double = 3) -> LearnerStatus? {
            let arguments = ["status", endpoint, "--compact", "--timeout", String(timeout)] + keyArguments
            guard let text = NetFault.runFleetForOutput(arguments, launcher: launcher, in: directory, timeout: timeout + 5) else {
                return nil
            }
            return try? LearnerStatus(json: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }

        /// Asks every `every` seconds until `condition` holds (returns that status) or `seconds` pass (nil).
        func wait(seconds: Double, every: Double = 0.1, until condition: (LearnerStatus) -> Bool) -> LearnerStatus? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let status = read(), condition(status) { return status }
                Thread.sleep(forTimeInterval: every)
            }
            return nil
        }
    }

    /// Waits up to `seconds` for `condition`, checking every `every` seconds; returns whether it held.
    @discardableResult
    static func waitUntil(seconds: Double, every: Double = 0.02, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: every)
        }
        return condition()
    }

    /// Every batch the actors sent (their `--capture` files) set against what the learner's capture
    /// (`capture` and `capture_dropped`) says became of it.
    ///
    /// A batch is identified by its envelope: sender, incarnation, sequence. A sent batch is
    /// - *trained*: in the learner's consumed records;
    /// - *rejected* with a reason: in its dropped records with that reason (the learner counts these in
    ///   `summary.json`'s `rejected`);
    /// - *unconsumed*: in its dropped records as `unconsumed` (queued, not yet trained on, when the run
    ///   stopped);
    /// - *in flight at the stop*: not recorded by the learner, and sent after the last batch of its
    ///   sender's incarnation that the learner recorded (ZeroMQ delivers one connection's messages in
    ///   order, so these were behind everything the learner got when it stopped reading);
    /// - *unexplained*: not recorded by the learner although a later batch of the same incarnation was.
    /// The first four are "lost with a known cause" (or not lost); nothing may be unexplained. Records
    /// the learner has that no actor sent are counted too (must be none).
    struct Ledger {
        struct Key: Hashable, Comparable {
            var sender: String
            var incarnation: UInt64
            var sequence: UInt64
            static func < (a: Key, b: Key) -> Bool {
                (a.sender, a.incarnation, a.sequence) < (b.sender, b.incarnation, b.sequence)
            }
        }

        private(set) var sent: [Key] = []
        private(set) var trained: Set<Key> = []
        private(set) var dropped: [Key: String] = [:]

        /// Reads the `.fleetrec` files under `sentDirectories` (actors) and `learnerCaptures` (the learner's captures/).
        init(sentDirectories: [URL], learnerCaptures: URL) throws {
            for directory in sentDirectories {
                for entry in try Self.entries(in: directory) where entry.kind == .sent {
                    sent.append(try Self.key(of: entry.frame))
                }
            }
            for entry in try Self.entries(in: learnerCaptures) {
                let key = try Self.key(of: entry.frame)
                switch entry.kind {
                case .consumed: trained.insert(key)
                case .dropped: dropped[key] = entry.reason
                case .sent: break
                }
            }
        }

        private static func entries(in directory: URL) throws -> [CaptureEntry] {
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".fleetrec") }.sorted()
                .map { directory.appendingPathComponent($0).path }
            let reader = CaptureReader(files: files, mode: .strict)
            return try reader.readAll().map(\.entry)
        }

        private static func key(of frame: [UInt8]) throws -> Key {
            let envelope = try Frame(decoding: frame).envelope
            return Key(sender: envelope.senderID, incarnation: envelope.incarnation, sequence: envelope.sequence)
        }

        /// Batches trained on.
        var trainedCount: Int { sent.filter(trained.contains).count }
        /// Rejected batches by reason (`unconsumed` apart).
        var rejectedByReason: [String: Int] {
            var counts: [String: Int] = [:]
            for key in sent { if let reason = dropped[key], reason != BatchRejection.Reason.unconsumed.rawValue { counts[reason, default: 0] += 1 } }
            return counts
        }
        var unconsumed: Int { sent.filter { dropped[$0] == BatchRejection.Reason.unconsumed.rawValue }.count }
        /// Sent, never recorded by the learner: (in flight at the stop, unexplained).
        var missing: (inFlightAtStop: [Key], unexplained: [Key]) {
            let recorded = Set(trained).union(dropped.keys)
            var lastRecorded: [String: UInt64] = [:]
            for key in recorded {
                let stream = "\(key.sender)/\(key.incarnation)"
                lastRecorded[stream] = max(lastRecorded[stream] ?? 0, key.sequence)
            }
            var tail: [Key] = [], gaps: [Key] = []
            for key in sent where !recorded.contains(key) {
                if let last = lastRecorded["\(key.sender)/\(key.incarnation)"], key.sequence < last {
                    gaps.append(key)
                } else {
                    tail.append(key)
                }
            }
            return (tail, gaps)
        }
        /// Learner records of batches no actor's capture holds.
        var recordedButNotSent: Int {
            let sentSet = Set(sent)
            return trained.union(dropped.keys).filter { !sentSet.contains($0) }.count
        }

        /// `sent S = trained T + rejected R {reasons} + unconsumed U + in flight at stop F + unexplained X`.
        var summary: String {
            let reasons = rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let (tail, gaps) = missing
            return "sent \(sent.count) = trained \(trainedCount) + rejected \(rejectedByReason.values.reduce(0, +))"
                + (reasons.isEmpty ? "" : " (\(reasons))") + " + unconsumed \(unconsumed) + in flight at stop \(tail.count)"
                + " + unexplained \(gaps.count)"
        }

        /// Asserts the ledger balances: nothing unexplained, nothing recorded that was not sent, the
        /// learner's counted rejections (`summary.json`) equal to the recorded ones, and at most
        /// `maxInFlightPerSender` batches in flight per sender at the stop.
        func assertBalanced(summaryRejected: [String: Int], maxInFlightPerSender: Int, file: StaticString = #filePath, line: UInt = #line) {
            let (tail, gaps) = missing
            XCTAssertEqual(gaps.count, 0, "batches lost without a known cause: \(gaps.prefix(10))", file: file, line: line)
            XCTAssertEqual(recordedButNotSent, 0, "learner records of batches no actor sent", file: file, line: line)
            // Control messages refused (an honest actor's snapshot requests queued during a cut and
            // delivered at once) are no batches.
            let batchRejected = summaryRejected.filter {
                ![BatchRejection.Reason.rateLimited, .notPermitted, .badSubscription].map(\.rawValue).contains($0.key)
            }
            XCTAssertEqual(rejectedByReason, batchRejected, "recorded rejections vs summary.json", file: file, line: line)
            XCTAssertEqual(
                sent.count, trainedCount + rejectedByReason.values.reduce(0, +) + unconsumed + tail.count + gaps.count,
                file: file, line: line)
            for (sender, keys) in Dictionary(grouping: tail, by: \.sender) {
                XCTAssertLessThanOrEqual(keys.count, maxInFlightPerSender, "\(sender)'s batches in flight at the stop", file: file, line: line)
            }
        }
    }

    /// A fresh directory under /tmp, mode 0700 (ipc sockets may live in it), removed when `test` ends.
    static func makeDirectory(_ prefix: String, test: XCTestCase) throws -> URL {
        let url = URL(fileURLWithPath: "/tmp/\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// `summary.json`'s `rejected` of the run in `runDirectory`.
    static func summaryRejected(runDirectory: URL) throws -> [String: Int] {
        let data = try Data(contentsOf: runDirectory.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(summary["rejected"] as? [String: Int])
    }

    /// Formatting for figure lines.
    static func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "-" }

    /// `/proc/loadavg`'s first three fields, for figures measured on a shared machine.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
