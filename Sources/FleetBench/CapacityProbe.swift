import FleetTensor
import Foundation

/// What this machine could do when `fleet bench` started: its CPU, online cores and load, and
/// three rates measured on the spot (memory copy, sgemm, a scalar dependent chain).
///
/// These machines vary and are shared, so a report's figures are read beside the capacity of
/// the moment they were measured in; none of it is a figure's baseline.
public struct MachineCapacity: Encodable, Sendable, Equatable {
    /// The `model name` of `/proc/cpuinfo` (or `unknown`).
    public var cpuModel: String
    /// Processors online (`sysconf(_SC_NPROCESSORS_ONLN)`).
    public var onlineCores: Int
    /// The 1-minute load average of `/proc/loadavg` at the start, if it could be read.
    public var loadAverage1Minute: Double?
    /// `memcpy` of a large buffer, in GB/s (10^9 bytes copied a second), best round.
    public var memcpyGBPerSecond: Double
    /// The buffer `memcpy` copies, in bytes.
    public var memcpyBytes: Int
    /// The sgemm roofline (``Roofline/sgemmGFLOPS(size:rounds:)``) on ``sgemmThreads`` BLAS threads.
    public var sgemmGFLOPS: Double
    public var sgemmSize: Int
    public var sgemmThreads: Int
    /// A single thread's chain of dependent float multiply-adds, in G multiply-adds a second:
    /// a floor set by clock speed and instruction latency that no vector unit or cache changes.
    public var scalarGOPS: Double
    /// Seconds the probe took, reading included.
    public var probeSeconds: Double
    /// The BLAS kernels sgemm ran with, and who chose them (``BLASKernels/description``).
    public var blasKernels: String

    public init(
        cpuModel: String, onlineCores: Int, loadAverage1Minute: Double?, memcpyGBPerSecond: Double, memcpyBytes: Int,
        sgemmGFLOPS: Double, sgemmSize: Int, sgemmThreads: Int, scalarGOPS: Double, probeSeconds: Double,
        blasKernels: String = BLASKernels.description
    ) {
        self.blasKernels = blasKernels
        self.cpuModel = cpuModel
        self.onlineCores = onlineCores
        self.loadAverage1Minute = loadAverage1Minute
        self.memcpyGBPerSecond = memcpyGBPerSecond
        self.memcpyBytes = memcpyBytes
        self.sgemmGFLOPS = sgemmGFLOPS
        self.sgemmSize = sgemmSize
        self.sgemmThreads = sgemmThreads
        self.scalarGOPS = scalarGOPS
        self.probeSeconds = probeSeconds
    }

    private enum CodingKeys: String, CodingKey {
        case cpuModel = "cpu_model", onlineCores = "online_cores", loadAverage1Minute = "load_average_1m"
        case memcpyGBPerSecond = "memcpy_gb_per_s", memcpyBytes = "memcpy_bytes"
        case sgemmGFLOPS = "sgemm_gflops", sgemmSize = "sgemm_size", sgemmThreads = "sgemm_threads"
        case scalarGOPS = "scalar_gops", probeSeconds = "probe_seconds", blasKernels = "blas_kernels"
    }

    /// Every key, the load average as `null` when it is unknown.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cpuModel, forKey: .cpuModel)
        try c.encode(onlineCores, forKey: .onlineCores)
        try c.encode(loadAverage1Minute, forKey: .loadAverage1Minute)
        try c.encode(memcpyGBPerSecond, forKey: .memcpyGBPerSecond)
        try c.encode(memcpyBytes, forKey: .memcpyBytes)
        try c.encode(sgemmGFLOPS, forKey: .sgemmGFLOPS)
        try c.encode(sgemmSize, forKey: .sgemmSize)
        try c.encode(sgemmThreads, forKey: .sgemmThreads)
        try c.encode(scalarGOPS, forKey: .scalarGOPS)
        try c.encode(probeSeconds, forKey: .probeSeconds)
        try c.encode(blasKernels, forKey: .blasKernels)
    }

    /// The block printed above the figures:
    ///
    ///     capacity (probed in 0.21 s, before the suites)
    ///       cpu      AMD EPYC, 2 cores online
    ///       load     4.23 (1-minute average at start)
    ///       memcpy   9.81 GB/s (64 MiB buffer)
    ///       sgemm    61.2 GFLOP/s (384x384, 1 BLAS thread)
    ///       blas     Haswell kernels (OpenBLAS's pick)
    ///       scalar   0.412 G multiply-adds/s (dependent chain, 1 thread)
    public var block: String {
        let load = loadAverage1Minute.map { String(format: "%.2f", $0) } ?? "unknown"
        let rows = [
            ("cpu", "\(cpuModel), \(onlineCores) \(onlineCores == 1 ? "core" : "cores") online"),
            ("load", "\(load) (1-minute average at start)"),
            ("memcpy", "\(BenchReport.format(memcpyGBPerSecond)) GB/s (\(memcpyBytes >> 20) MiB buffer)"),
            (
                "sgemm",
                "\(BenchReport.format(sgemmGFLOPS)) GFLOP/s (\(sgemmSize)x\(sgemmSize), \(sgemmThreads) BLAS "
                    + "\(sgemmThreads == 1 ? "thread" : "threads"))"
            ),
            ("blas", blasKernels),
            ("scalar", "\(BenchReport.format(scalarGOPS)) G multiply-adds/s (dependent chain, 1 thread)"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return (["capacity (probed in \(String(format: "%.2f", probeSeconds)) s, before the suites)"]
            + rows.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 })
            .joined(separator: "\n") + "\n"
    }
}

/// Measures ``MachineCapacity``: well under a second, a fraction of that with `quick`.
public enum CapacityProbe {
    public static func measure(quick: Bool) -> MachineCapacity {
        let start = Stopwatch.now()
        // Read before anything here adds to the load.
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).flatMap(loadAverage1Minute(loadavg:))
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).flatMap(cpuModel(cpuinfo:))
        let rounds = quick ? 3 : 5
        // Two 64 MiB buffers, quick or not: past most last-level caches (32 MiB of L3 is common),
        // so that it is memory's rate, not the cache's.
        let memcpyBytes = 64 << 20
        let memcpyRate = memcpyGBPerSecond(bytes: memcpyBytes, rounds: rounds)

        let previousThreads = BLAS.threads
        BLAS.threads = 1
        let sgemmSize = 384
        let sgemm = Roofline.sgemmGFLOPS(size: sgemmSize, rounds: rounds)
        BLAS.threads = previousThreads

        let scalar = scalarGOPS(roundSeconds: quick ? 0.005 : 0.02, rounds: rounds)
        return MachineCapacity(
            cpuModel: cpu ?? "unknown", onlineCores: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            loadAverage1Minute: load, memcpyGBPerSecond: memcpyRate, memcpyBytes: memcpyBytes,
            sgemmGFLOPS: sgemm, sgemmSize: sgemmSize, sgemmThreads: 1, scalarGOPS: scalar,
            probeSeconds: Stopwatch.now() - start)
    }

    /// The first `model name` of `/proc/cpuinfo`'s text (x86 and most others), else the first
    /// `Hardware` or `Processor` line (older ARM kernels); nil when there is none.
    static func cpuModel(cpuinfo: String) -> String? {
        for key in ["model name", "Hardware", "Processor"] {
            for line in cpuinfo.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                if !value.isEmpty { return value }
            }
        }
        return nil
    }

    /// The first field of `/proc/loadavg`'s text (`4.23 2.31 0.97 3/147 8448`).
    static func loadAverage1Minute(loadavg: String) -> Double? {
        loadavg.split(separator: " ").first.flatMap { Double($0) }.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
    }

    /// `memcpy` of `bytes` between two buffers whose pages are already in, best of `rounds`.
    static func memcpyGBPerSecond(bytes: Int, rounds: Int) -> Double {
        let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        defer {
            source.deallocate()
            target.deallocate()
        }
        // The source holds its word indices, not a memset: LLVM turns a memcpy from freshly
        // memset memory into a memset of the target, which measured (write-only) 2.5x faster.
        let words = bytes / 8
        let sourceWords = source.bindMemory(to: UInt64.self, capacity: words)
        for i in 0..<words { sourceWords[i] = UInt64(i) }
        memset(target, 0, bytes)
        let seconds = Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: rounds) {
            memcpy(target, source, bytes)
        }
        precondition(target.load(fromByteOffset: (words - 1) * 8, as: UInt64.self) == UInt64(words - 1))
        return Double(bytes) / seconds / 1e9
    }

    /// One thread's dependent multiply-adds a second, in billions: each round runs chunks of the
    /// chain until `roundSeconds` have passed; the best round counts.
    static func scalarGOPS(roundSeconds: Double, rounds: Int) -> Double {
        let chunk = 1 << 18
        var best = 0.0
        var x: Float = 1
        for _ in 0..<rounds {
            let start = Stopwatch.now()
            var operations = 0
            var elapsed = 0.0
            repeat {
                x = _multiplyAddChain(x, count: chunk, multiplier: 0.999_999_9, addend: 1e-7)
                operations += chunk
                elapsed = Stopwatch.now() - start
            } while elapsed < roundSeconds
            best = max(best, Double(operations) / elapsed / 1e9)
        }
        precondition(x.isFinite)
        return best
    }
}

/// `x = x * multiplier + addend`, `count` times: each step waits for the last (no vectorizing,
/// no reassociation of floats), so it runs at one multiply-add per multiply-plus-add latency.
@inline(never)
func _multiplyAddChain(_ x: Float, count: Int, multiplier: Float, addend: Float) -> Float {
    var x = x
    for _ in 0..<count { x = x * multiplier + addend }
    return x
}
