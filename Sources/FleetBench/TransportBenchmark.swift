import FleetTransport
import Foundation

/// PUSH/PULL throughput between two processes, FleetTransport against raw libzmq in C.
///
/// Each round binds a PULL in one process and starts a sender process that connects a PUSH and
/// sends a warm-up and then a fixed count of messages; the receiver times the count from its first
/// to its last message. The Fleet pair is this process (receiver) and `fleet bench-peer` (sender);
/// the baseline pair is a small C program, written and compiled with `cc -O2 -lzmq` in the same
/// run, in both roles. Rounds alternate between the two sides and each side keeps its best.
public enum TransportBenchmark {
    /// The high-water mark of both ends, in messages, on both sides.
    static let highWaterMark: Int32 = 100

    struct Case {
        let transport: String
        let size: Int
        let count: Int
        let warmUp: Int
        /// Senders hand their buffer to libzmq (`zmq_msg_init_data`) rather than copy it (`zmq_send`).
        let zeroCopy: Bool
        var mode: String { zeroCopy ? "send-nocopy" : "send-copy" }
        var label: String { "\(size >= 1 << 20 ? "\(size >> 20) MiB" : "\(size >> 10) KiB")" }
    }

    /// Measures every case and returns its figures (messages/s and MB/s), baseline raw libzmq,
    /// goal 0.8.
    public static func figures(quick: Bool, fleetExecutable: String) throws -> [BenchFigure] {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let baseline = try compileBaseline(in: directory)
        let rounds = quick ? 2 : 3
        var cases: [Case] = []
        for transport in ["ipc", "tcp"] {
            for zeroCopy in [true, false] {
                cases.append(Case(
                    transport: transport, size: 64 << 10, count: quick ? 3_000 : 20_000,
                    warmUp: quick ? 300 : 2_000, zeroCopy: zeroCopy))
                cases.append(Case(
                    transport: transport, size: 1 << 20, count: quick ? 300 : 2_000,
                    warmUp: quick ? 30 : 200, zeroCopy: zeroCopy))
            }
        }

        var figures: [BenchFigure] = []
        var serial = 0
        for item in cases {
            var fleetBest = Double.infinity
            var baselineBest = Double.infinity
            for round in 0..<rounds {
                // Alternate which side goes first, so neither always meets a warmer machine.
                for side in (round % 2 == 0 ? [true, false] : [false, true]) {
                    serial += 1
                    let endpoint = item.transport == "ipc"
                        ? "ipc://\(directory)/bench-\(serial)" : "tcp://127.0.0.1:*"
                    if side {
                        fleetBest = min(fleetBest, try measureFleet(item, endpoint, fleetExecutable))
                    } else {
                        baselineBest = min(baselineBest, try measureBaseline(item, endpoint, baseline))
                    }
                }
            }
            let fleetRate = Double(item.count - 1) / fleetBest
            let baselineRate = Double(item.count - 1) / baselineBest
            let send = item.zeroCopy ? "zero-copy send" : "copying send"
            let name = "PUSH/PULL \(item.transport) \(item.label) \(send), 2 processes"
            let baselineName = "raw libzmq C " + (item.zeroCopy ? "zmq_msg_init_data" : "zmq_send")
            let megabytes = Double(item.size) / 1e6
            figures.append(BenchFigure(
                suite: "transport", name: name, value: fleetRate * megabytes, unit: "MB/s",
                baseline: baselineName, baselineValue: baselineRate * megabytes, goal: 0.8))
        }
        return figures
    }

    /// The sender process of a Fleet round: `send-nocopy|send-copy ENDPOINT SIZE TOTAL` connects
    /// a PUSH to ENDPOINT and sends TOTAL messages of SIZE bytes, handing the payload to libzmq
    /// without a copy (`Message(noCopy:)`) or copying it (`send(_: [UInt8])`).
    public static func runPeer(arguments: [String]) throws {
        guard arguments.count == 4, ["send-nocopy", "send-copy"].contains(arguments[0]),
            let size = Int(arguments[2]), let total = Int(arguments[3])
        else { throw BenchError("usage: bench-peer send-nocopy|send-copy ENDPOINT SIZE TOTAL") }
        let context = try Context()
        // Wait for every message to leave before exiting, as the C sender does.
        let push = try Socket(context, .push, linger: .seconds(30))
        try push.set(.sendHighWaterMark, to: highWaterMark)
        try push.set(.sendTimeout, to: .seconds(60))
        try push.connect(arguments[1])
        let payload = [UInt8](repeating: 7, count: size)
        if arguments[0] == "send-nocopy" {
            for _ in 0..<total { try push.send(try Message(noCopy: payload)) }
        } else {
            for _ in 0..<total { try push.send(payload) }
        }
    }

    // MARK: - Rounds

    /// Seconds from the first to the last of `count` messages, received here from `fleet bench-peer`.
    static func measureFleet(_ item: Case, _ endpoint: String, _ executable: String) throws -> Double {
        let context = try Context()
        let pull = try Socket(context, .pull, linger: .zero)
        try pull.set(.receiveHighWaterMark, to: highWaterMark)
        try pull.set(.receiveTimeout, to: .seconds(60))
        try pull.bind(endpoint)
        let resolved = try pull.lastEndpoint ?? endpoint
        let sender = try start(executable, ["bench-peer", item.mode, resolved, "\(item.size)", "\(item.warmUp + item.count)"])
        var message = Message()
        for _ in 0..<item.warmUp { try pull.receive(into: &message) }
        try pull.receive(into: &message)
        let start = Stopwatch.now()
        for _ in 1..<item.count { try pull.receive(into: &message) }
        let seconds = Stopwatch.now() - start
        guard message.count == item.size else { throw BenchError("received \(message.count) bytes, expected \(item.size)") }
        try finish(sender, "fleet bench-peer")
        return seconds
    }

    /// The same round with the C program in both roles; its receiver prints the seconds.
    static func measureBaseline(_ item: Case, _ endpoint: String, _ program: String) throws -> Double {
        let output = Pipe()
        let receiver = try start(
            program, ["recv", endpoint, "\(item.size)", "\(item.count)", "\(item.warmUp)", "\(highWaterMark)"],
            output: output)
        let reader = LineReader(output.fileHandleForReading)
        guard let resolved = reader.next() else { throw BenchError("the C receiver did not bind") }
        let sender = try start(program, [item.mode, resolved, "\(item.size)", "\(item.warmUp + item.count)", "0", "\(highWaterMark)"])
        do {
            try finish(sender, "C sender")
        } catch {
            receiver.terminate()
            throw error
        }
        guard let line = reader.next(), let seconds = Double(line) else {
            throw BenchError("the C receiver did not report")
        }
        try finish(receiver, "C receiver")
        return seconds
    }

    // MARK: - Processes

    static func start(_ executable: String, _ arguments: [String], output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let output { process.standardOutput = output }
        try process.run()
        return process
    }

    static func finish(_ process: Process, _ name: String) throws {
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("\(name) exited with status \(process.terminationStatus)")
        }
    }

    static func makeTemporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "fleet-bench-transport-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes the raw libzmq program and compiles it; returns the executable's path.
    static func compileBaseline(in directory: String) throws -> String {
        let source = directory + "/zmq_pushpull.c"
        let program = directory + "/zmq_pushpull"
        try baselineSource.write(toFile: source, atomically: true, encoding: .utf8)
        let compiler = try start("/usr/bin/env", ["cc", "-O2", "-o", program, source, "-lzmq"])
        try finish(compiler, "cc")
        return program
    }

    /// The baseline: what a careful C programmer writes for the same pair.
    static let baselineSource = #"""
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>
        #include <zmq.h>

        static double now(void) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
        }

        static void fail(const char *what) {
            fprintf(stderr, "%s: %s\n", what, zmq_strerror(zmq_errno()));
            exit(1);
        }

        static void keep(void *data, void *hint) { (void)data; (void)hint; }

        /* send-nocopy|send-copy ENDPOINT SIZE TOTAL 0 HWM | recv ENDPOINT SIZE COUNT WARMUP HWM */
        int main(int argc, char **argv) {
            if (argc != 7) { fprintf(stderr, "usage\n"); return 2; }
            const char *endpoint = argv[2];
            size_t size = (size_t)atol(argv[3]);
            long count = atol(argv[4]), warm = atol(argv[5]);
            int hwm = atoi(argv[6]);
            int patience = 60000; /* ms: a round whose peer died fails instead of hanging */
            void *context = zmq_ctx_new();
            if (strncmp(argv[1], "send", 4) == 0) {
                int copy = strcmp(argv[1], "send-copy") == 0;
                void *push = zmq_socket(context, ZMQ_PUSH);
                int linger = 30000;
                zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
                zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof hwm);
                zmq_setsockopt(push, ZMQ_SNDTIMEO, &patience, sizeof patience);
                if (zmq_connect(push, endpoint) != 0) fail("zmq_connect");
                char *payload = malloc(size);
                memset(payload, 7, size);
                for (long i = 0; i < count; i++) {
                    if (copy) {
                        if (zmq_send(push, payload, size, 0) != (int)size) fail("zmq_send");
                    } else {
                        /* The payload outlives every message, so the free function does nothing. */
                        zmq_msg_t message;
                        zmq_msg_init_data(&message, payload, size, keep, NULL);
                        if (zmq_msg_send(&message, push, 0) != (int)size) fail("zmq_msg_send");
                    }
                }
                zmq_close(push);
                /* Queued messages still point into the payload until the context is gone. */
                zmq_ctx_term(context);
                free(payload);
                return 0;
            } else {
                void *pull = zmq_socket(context, ZMQ_PULL);
                int linger = 0;
                zmq_setsockopt(pull, ZMQ_LINGER, &linger, sizeof linger);
                zmq_setsockopt(pull, ZMQ_RCVHWM, &hwm, sizeof hwm);
                zmq_setsockopt(pull, ZMQ_RCVTIMEO, &patience, sizeof patience);
                if (zmq_bind(pull, endpoint) != 0) fail("zmq_bind");
                char resolved[1024];
                size_t length = sizeof resolved;
                zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, resolved, &length);
                printf("%s\n", resolved);
                fflush(stdout);
                zmq_msg_t message;
                zmq_msg_init(&message);
                for (long i = 0; i < warm; i++)
                    if (zmq_msg_recv(&message, pull, 0) < 0) fail("zmq_msg_recv");
                if (zmq_msg_recv(&message, pull, 0) < 0) fail("zmq_msg_recv");
                double start = now();
                for (long i = 1; i < count; i++)
                    if (zmq_msg_recv(&message, pull, 0) < 0) fail("zmq_msg_recv");
                double seconds = now() - start;
                if (zmq_msg_size(&message) != size) { fprintf(stderr, "size\n"); return 1; }
                zmq_msg_close(&message);
                printf("%.9f\n", seconds);
                fflush(stdout);
                zmq_close(pull);
            }
            zmq_ctx_term(context);
            return 0;
        }
        """#
}

/// Reads a child's output line by line.
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(_ handle: FileHandle) { self.handle = handle }

    /// The next line without its newline; nil at the end of the output.
    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let data = handle.availableData
            if data.isEmpty { return nil }
            buffer.append(contentsOf: data)
        }
    }
}

/// A benchmark that could not run.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
