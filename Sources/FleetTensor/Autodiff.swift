/// Reverse-mode automatic differentiation.
///
/// Every operation that runs while gradients are enabled and has an input that requires
/// gradients attaches a ``TapeNode`` to its result: the inputs, and a closure that, given the
/// gradient of the result, adds each input's gradient into that input's ``Tensor/grad``.
/// ``Tensor/backward()`` orders the graph reachable from the result topologically (iteratively,
/// so deep graphs cannot overflow the stack) and runs the closures from the result back to the
/// leaves. The gradient rules themselves live beside their forward passes, one file per concern.

/// One recorded operation: the inputs it read and how to send its result's gradient to them.
final class TapeNode {
    let inputs: [Tensor]
    /// Receives the gradient of the result (shaped like the result) and accumulates into inputs.
    let backward: ([Float]) -> Void

    init(inputs: [Tensor], backward: @escaping ([Float]) -> Void) {
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations record themselves for backward on the current task or thread.
enum GradMode {
    @TaskLocal static var isEnabled = true
}

/// Runs `body` without recording operations: for acting and evaluation.
///
/// Results computed inside do not require gradients and keep no graph. The switch is a task-local
/// value, so it applies to this task (or thread) only and is safe under strict concurrency.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// The `async` form of ``withNoGrad(_:)``.
public func withNoGrad<R>(_ body: () async throws -> R) async rethrows -> R {
    try await GradMode.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// Whether operations are being recorded here (false inside ``withNoGrad(_:)``).
    public static var isGradEnabled: Bool { GradMode.isEnabled }

    /// Attaches a recorded operation to `self` when gradients are on and an input needs them.
    ///
    /// `backward` is built lazily so that an unrecorded forward pass allocates no closure.
    @inline(__always)
    func record(_ inputs: [Tensor], _ backward: () -> ([Float]) -> Void) -> Tensor {
        if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            requiresGrad = true
            node = TapeNode(inputs: inputs, backward: backward())
        }
        return self
    }

    /// Adds `values` (shaped like `self`) to the gradient, allocating it on first use.
    func accumulateGrad(_ values: [Float]) {
        precondition(values.count == count)
        if grad == nil {
            grad = values
            return
        }
        values.withUnsafeBufferPointer { v in
            grad!.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] += v[i] }
            }
        }
    }

    /// Gives `body` the gradient buffer (zeros on first use) to add into.
    @inline(__always)
    func withGradBuffer(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        if grad == nil { grad = [Float](repeating: 0, count: count) }
        grad!.withUnsafeMutableBufferPointer { body($0) }
    }

    /// Accumulates d(self)/d(leaf) into every leaf that requires gradients; `self` must be a scalar.
    ///
    /// The gradient of `self` is seeded with 1. Leaf gradients add up across calls (clear them
    /// with ``zeroGrad()``). Intermediate results do not keep their gradients (`grad` stays `nil`),
    /// but keep their graph: calling backward again on the same result adds the same gradients again.
    public func backward() {
        precondition(count == 1, "backward() needs a one-element result; use backward(gradient:)")
        backward(gradient: [1])
    }

    /// Accumulates the vector-Jacobian product of `gradient` (shaped like `self`) into the leaves.
    public func backward(gradient: [Float]) {
        precondition(gradient.count == count, "gradient has \(gradient.count) elements, tensor \(count)")
        guard requiresGrad else { return }
        let order = topologicalOrder()
        for t in order where t.node != nil { t.grad = nil }
        accumulateGrad(gradient)
        for t in order.reversed() {
            guard let node = t.node, let g = t.grad else { continue }
            // As in PyTorch, an intermediate result's gradient is released once passed on, so its
            // buffer can serve the next allocation of this same pass.
            t.grad = nil
            node.backward(g)
        }
    }

    /// Tensors reachable from `self` through recorded inputs, every input before its users.
    func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: (tensor, index of the next input to visit).
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (t, next) = stack.last {
            let inputs = t.node?.inputs ?? []
            if next < inputs.count {
                stack[stack.count - 1].1 = next + 1
                let input = inputs[next]
                if input.requiresGrad && visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                stack.removeLast()
                order.append(t)
            }
        }
        return order
    }
}
