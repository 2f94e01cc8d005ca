import FleetTensor
import Foundation

/// `fleet bench tensor`'s kernel figure: sgemm (384^3, one thread) with the BLAS kernels this
/// process runs, against another set measured in a child process in the same run: OpenBLAS's own
/// pick when Fleet chose better ones (``BLASKernels``), else the SSE3 `Prescott` kernels that
/// OpenBLAS falls back to on a CPU newer than its table, i.e. what not choosing would cost there.
public enum BLASKernelBenchmark {
    /// The `fleet bench-peer` role that prints the sgemm rate of its own kernels.
    public static let peerRole = "sgemm"

    public static func figures(quick: Bool, fleetExecutable: String) throws -> [BenchFigure] {
        let rounds = quick ? 3 : 7
        let directory = try ClusterBenchmark.makeTemporaryDirectory("fleet-bench-blas")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ProcessInfo.processInfo.environment
        let baselineEnvironment: [String: String?]
        let baselineName: String
        if let picked = environment[BLASKernels.libraryPickVariable] {
            baselineEnvironment = [
                "OPENBLAS_CORETYPE": nil, BLASKernels.libraryPickVariable: nil, BLASKernels.choiceVariable: "library",
            ]
            baselineName = "OpenBLAS's own pick (\(picked))"
        } else {
            baselineEnvironment = ["OPENBLAS_CORETYPE": "Prescott", BLASKernels.libraryPickVariable: nil]
            baselineName = "OpenBLAS's fallback for CPUs it does not know"
        }
        let child = try BenchChildProcess(
            name: "sgemm", executable: fleetExecutable, arguments: ["bench-peer", peerRole, "\(rounds)"],
            outputDirectory: directory, environment: baselineEnvironment)
        try child.waitForSuccess(timeout: 120, stopRequested: { false })
        let fields = child.stdout.split(whereSeparator: \.isWhitespace)
        guard fields.count >= 2, let baseline = Double(fields[0]) else {
            throw BenchError("sgemm peer printed \(child.stdout.debugDescription)")
        }
        let value = sgemmOneThread(rounds: rounds)
        return [
            BenchFigure(
                suite: "tensor", name: "sgemm 384^3, 1 thread, \(BLASKernels.description)", value: value,
                unit: "GFLOP/s", baseline: "\(fields[1]) kernels in a child process: " + baselineName, baselineValue: baseline)
        ]
    }

    /// For `fleet bench-peer sgemm ROUNDS`: prints this process's sgemm rate and its kernels.
    public static func runPeer(arguments: [String]) throws {
        let rounds = arguments.first.flatMap(Int.init) ?? 5
        print("\(sgemmOneThread(rounds: rounds)) \(BLASKernels.running)")
    }

    private static func sgemmOneThread(rounds: Int) -> Double {
        let previous = BLAS.threads
        BLAS.threads = 1
        defer { BLAS.threads = previous }
        return Roofline.sgemmGFLOPS(size: 384, rounds: rounds)
    }
}
