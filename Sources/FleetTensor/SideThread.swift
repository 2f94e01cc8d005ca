import Foundation
import Synchronization

/// A second thread that runs one piece of work beside the caller's, for work that splits into two
/// independent halves of tens of microseconds (the actor's and the critic's passes of a PPO
/// minibatch), where handing work to a thread pool would cost as much as the work.
///
/// ``run(_:beside:)`` hands `side` to the thread, runs `main` on the caller's, and returns when both
/// are done. The thread spins briefly for the next piece of work and then sleeps, so it holds a core
/// only while work keeps coming. Each half runs exactly as it would alone: results do not depend on
/// which thread ran what.
public final class SideThread {
    private let worker = Worker()

    /// Starts the thread.
    public init() {
        let worker = self.worker
        let thread = Thread { worker.loop() }
        thread.name = "fleet-side"
        thread.start()
    }

    /// Stops the thread (once it has finished what it runs).
    deinit { worker.stop() }

    /// Runs `side` on the side thread and `main` on this one; returns when both have finished.
    public func run(_ side: () -> Void, beside main: () -> Void) {
        worker.run(side, beside: main)
    }

    /// Tells the thread that no work comes soon (the end of an update): it sleeps at once instead
    /// of polling, leaving its core to others. The next ``run(_:beside:)`` wakes it.
    public func rest() {
        worker.rest()
    }
}

/// The side thread's state, shared by the owner and the thread.
private final class Worker: @unchecked Sendable {
    /// Raised when a piece of work (or the stop) is there for the thread.
    private let given = Gate()
    /// Raised when the thread has finished the piece of work.
    private let done = Gate()
    private let stopping = Atomic<Bool>(false)
    /// Whether the thread polls for its next piece of work before sleeping (cleared by `rest`).
    private let polling = Atomic<Bool>(true)
    /// The piece of work: written before `given` is raised, read after it is seen.
    private nonisolated(unsafe) var work: (() -> Void)?

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        given.raise()
    }

    func rest() {
        polling.store(false, ordering: .relaxed)
    }

    func run(_ side: () -> Void, beside main: () -> Void) {
        withoutActuallyEscaping(side) { side in
            polling.store(true, ordering: .relaxed)
            work = side
            given.raise()
            main()
            done.wait()
            work = nil
        }
    }

    func loop() {
        while true {
            given.wait { polling.load(ordering: .relaxed) }
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            work?()
            done.raise()
        }
    }
}

/// A signal from one thread to another, raised and awaited alternately. The waiter polls it for a
/// while (giving its core away between polls, in case the raiser needs it) and then sleeps.
private final class Gate: @unchecked Sendable {
    private let raised = Atomic<Bool>(false)
    /// Whether the waiter sleeps on `semaphore` (set by the waiter, cleared by whoever wakes it).
    private let sleeping = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    /// How long a waiter polls before it sleeps: longer than the gaps between the pieces of one PPO
    /// minibatch, shorter than a rollout.
    private static let pollNanoseconds: UInt64 = 200_000

    func raise() {
        raised.store(true, ordering: .sequentiallyConsistent)
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { semaphore.signal() }
    }

    /// Returns once the gate is raised, and lowers it; polls first, while `polling` says so.
    func wait(polling: () -> Bool = { true }) {
        var deadline: UInt64 = 0
        var polls = 0
        while !raised.load(ordering: .acquiring) {
            polls += 1
            guard polls & 63 == 0 else { continue }
            if polling() {
                sched_yield()
                let now = DispatchTime.now().uptimeNanoseconds
                if deadline == 0 { deadline = now + Self.pollNanoseconds }
                guard now > deadline else { continue }
            }
            deadline = 0
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if raised.load(ordering: .sequentiallyConsistent) {
                // Raised while announcing sleep: if the raiser saw the announcement it signals, and
                // that signal must be consumed here.
                if !sleeping.exchange(false, ordering: .sequentiallyConsistent) { semaphore.wait() }
                break
            }
            semaphore.wait()
        }
        raised.store(false, ordering: .relaxed)
    }
}
