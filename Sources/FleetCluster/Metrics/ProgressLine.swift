import Foundation

/// The live progress line of long work, on standard error.
///
/// On a terminal it is one line redrawn in place (`\r`, then clear to the end of the line) at
/// most every ``terminalInterval`` seconds; otherwise (a log file, CI) a plain line is written
/// every ``plainInterval`` seconds. Use one from one task at a time.
public final class ProgressLine {
    /// Whether the output is a terminal.
    public let isTerminal: Bool
    /// Seconds between redraws on a terminal (4 a second).
    public let terminalInterval: Double
    /// Seconds between lines when not on a terminal.
    public let plainInterval: Double
    /// What the next draw shows.
    public private(set) var snapshot: ProgressSnapshot
    private let output: (String) -> Void
    private let clock: () -> Double
    private var lastDraw: Double?
    private var drawnWidth = 0

    /// A progress line of `shape` (a PPO run's by default) on `output` (standard error by
    /// default); `isTerminal` defaults to whether standard error is one. `clock` gives seconds
    /// (any origin).
    public init(
        totalSteps: Int? = nil,
        shape: ProgressSnapshot.Shape = .environmentSteps,
        isTerminal: Bool = isatty(STDERR_FILENO) != 0,
        terminalInterval: Double = 0.25,
        plainInterval: Double = 5,
        clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime },
        output: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.isTerminal = isTerminal
        self.terminalInterval = terminalInterval
        self.plainInterval = plainInterval
        self.clock = clock
        self.output = output
        snapshot = ProgressSnapshot(shape: shape, totalSteps: totalSteps)
    }

    /// Changes what the line shows and draws it if it is due.
    public func update(_ change: (inout ProgressSnapshot) -> Void) {
        change(&snapshot)
        drawIfDue()
    }

    /// Takes a logged step's known scalars (``ProgressSnapshot/observe(step:scalars:)``) and draws if due.
    public func observe(step: Int, scalars: [MetricScalar]) {
        update { $0.observe(step: step, scalars: scalars) }
    }

    /// Draws the final state and, on a terminal, ends the line.
    public func finish() {
        draw()
        if isTerminal { output("\n") }
    }

    private func drawIfDue() {
        let interval = isTerminal ? terminalInterval : plainInterval
        if let lastDraw, clock() - lastDraw < interval { return }
        draw()
    }

    private func draw() {
        lastDraw = clock()
        let line = snapshot.line
        if isTerminal {
            output("\r" + line + "\u{1B}[K")
        } else {
            output(line + "\n")
        }
    }
}
