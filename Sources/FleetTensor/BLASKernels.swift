import CFleetKernels
import COpenBLAS
import Foundation

/// Which OpenBLAS kernels run, and making them the best this CPU supports.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's is) picks its kernels once, when the library is
/// loaded, from a table of the CPUs it knew when it was released: a newer CPU can fall back to far
/// older kernels (Debian's 0.3.21 runs its SSE3 `Prescott` kernels on an AVX-512 Xeon of 2023, with
/// sgemm 7x slower than its `SkylakeX` kernels on the same core). The kernels can only be chosen
/// by the `OPENBLAS_CORETYPE` environment variable, which the library reads when it loads; so
/// ``chooseBeforeStart()`` runs `fleet` again with it set, before anything else happens.
///
/// Kernels are part of a run's arithmetic: the same kernels give the same bits, and each run
/// records which ran (``description``).
public enum BLASKernels {
    /// The environment variable that says what to do: `auto` (the default: the best this CPU
    /// supports, when the library picked worse), `library` (whatever OpenBLAS picked), or an
    /// OpenBLAS core name to run (`Haswell`, `SkylakeX`, ...).
    public static let choiceVariable = "FLEET_BLAS_CORE"
    /// Set by Fleet when it ran itself again: the kernels the library had picked on its own.
    public static let libraryPickVariable = "FLEET_BLAS_LIBRARY_CORE"

    /// What ``choiceVariable`` asks for in `environment`: `auto` when unset or empty.
    static func choice(in environment: [String: String]) -> String {
        environment[choiceVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "auto"
    }

    /// The vector instruction sets BLAS kernels are written for, in order.
    public enum Tier: Int, Comparable, Sendable {
        case sse, avx, avx2, avx512

        public static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }

        /// The widest this CPU has.
        public static var cpu: Tier { Tier(rawValue: Int(fleet_cpu_vector_tier())) ?? .sse }

        /// The instruction set's name.
        public var name: String {
            switch self {
            case .sse: "SSE"
            case .avx: "AVX"
            case .avx2: "AVX2"
            case .avx512: "AVX-512"
            }
        }

        /// The OpenBLAS core type whose kernels use this tier and no more; nil for SSE (the library's
        /// own pick is as good as any).
        var openBLASCore: String? {
            switch self {
            case .avx512: "SkylakeX"
            case .avx2: "Haswell"
            case .avx: "Sandybridge"
            case .sse: nil
            }
        }

        /// The tier of an OpenBLAS core name (as `openblas_get_corename()` says it; case ignored).
        init(openBLASCore name: String) {
            switch name.lowercased() {
            case "skylakex", "cooperlake", "sapphirerapids": self = .avx512
            case "haswell", "zen", "excavator": self = .avx2
            case "sandybridge", "bulldozer", "piledriver", "steamroller": self = .avx
            default: self = .sse
            }
        }
    }

    /// The kernels OpenBLAS runs in this process, e.g. `"Haswell"` (`openblas_get_corename`).
    public static var running: String {
        String(cString: openblas_get_corename()).trimmingCharacters(in: .whitespaces)
    }

    /// Whether this OpenBLAS can run other kernels than its build's (`DYNAMIC_ARCH`).
    public static var canChoose: Bool { BLAS.configuration.contains("DYNAMIC_ARCH") }

    /// What to do at start.
    public enum Decision: Equatable, Sendable {
        /// Go on with the kernels running.
        case keep
        /// Run again with `OPENBLAS_CORETYPE` set to this core.
        case run(core: String)
        /// Better kernels exist for this CPU but cannot be chosen: say so.
        case warn(String)
    }

    /// What to do, given the kernels `running`, the CPU's `tier`, the process `environment`, and
    /// whether the library can run other kernels (`canChoose`).
    public static func decide(running: String, cpu tier: Tier, environment: [String: String], canChoose: Bool) -> Decision {
        // Chosen already: by Fleet (this is the second run), or by the user for OpenBLAS itself.
        if environment[libraryPickVariable] != nil || environment["OPENBLAS_CORETYPE"] != nil { return .keep }
        let choice = choice(in: environment)
        if choice == "library" { return .keep }
        let wanted: String
        if choice == "auto" {
            guard Tier(openBLASCore: running) < tier, let best = tier.openBLASCore else { return .keep }
            wanted = best
        } else {
            guard choice.lowercased() != running.lowercased() else { return .keep }
            guard Tier(openBLASCore: choice) <= tier else {
                return .warn("\(choiceVariable)=\(choice) asks for kernels this CPU cannot run (it has \(tier.name)): kept \(running)")
            }
            wanted = choice
        }
        guard canChoose else {
            return .warn(
                "OpenBLAS runs its \(running) kernels and cannot run \(wanted)'s (built without DYNAMIC_ARCH): "
                    + "BLAS runs below what this CPU can do")
        }
        return .run(core: wanted)
    }

    /// Runs this executable again with better kernels when ``decide(running:cpu:environment:canChoose:)``
    /// says so (it does not return then), or writes the warning to standard error. Call it first in
    /// `main`, before anything else has started.
    public static func chooseBeforeStart() {
        let environment = ProcessInfo.processInfo.environment
        switch decide(running: running, cpu: .cpu, environment: environment, canChoose: canChoose) {
        case .keep:
            if let picked = environment[libraryPickVariable], let wanted = environment["OPENBLAS_CORETYPE"],
                running.lowercased() != wanted.lowercased()
            {
                FileHandle.standardError.write(
                    Data("warning: OpenBLAS did not take the \(wanted) kernels Fleet chose; it runs \(running) (it had picked \(picked))\n".utf8))
            }
        case .warn(let message):
            FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
        case .run(let core):
            setenv("OPENBLAS_CORETYPE", core, 1)
            setenv(libraryPickVariable, running, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // Only a failed exec returns: go on with the library's kernels.
            FileHandle.standardError.write(Data("warning: could not run again with the \(core) kernels: errno \(errno)\n".utf8))
        }
    }

    /// The kernels running and who chose them, for reports: `"Cooperlake kernels (OpenBLAS's pick)"`,
    /// `"SkylakeX kernels (chosen by Fleet for this CPU's AVX-512; OpenBLAS picked Prescott)"`,
    /// `"Haswell kernels (FLEET_BLAS_CORE; OpenBLAS picked Cooperlake)"`, `"Haswell kernels (OPENBLAS_CORETYPE)"`.
    public static var description: String {
        let environment = ProcessInfo.processInfo.environment
        let kernels = "\(running) kernels"
        if let picked = environment[libraryPickVariable] {
            let chooser = choice(in: environment) == "auto" ? "chosen by Fleet for this CPU's \(Tier.cpu.name)" : choiceVariable
            return "\(kernels) (\(chooser); OpenBLAS picked \(picked))"
        }
        if environment["OPENBLAS_CORETYPE"] != nil { return "\(kernels) (OPENBLAS_CORETYPE)" }
        return "\(kernels) (OpenBLAS's pick)"
    }
}
