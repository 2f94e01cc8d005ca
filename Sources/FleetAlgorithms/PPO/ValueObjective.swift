import FleetTensor

/// PPO's value objective, `vf_coef · 0.5 · mean(max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²))`
/// (or the unclipped `vf_coef · 0.5 · mean((V − R)²)`), and its gradient with respect to the values,
/// computed in plain loops instead of through the graph.
///
/// It is ``PPOLoss/valueLoss(values:oldValues:returns:clipCoef:)`` times `vf_coef` taken apart, with
/// the graph's arithmetic in the graph's order (including how the two paths into the values add
/// up), so the loss and the gradient have the graph's bits (the tests compare them). The buffers
/// are kept between minibatches.
struct ValueObjective {
    /// The value loss, and the objective `vfCoef · loss`.
    private(set) var loss: Float = 0, objective: Float = 0
    /// d objective / d values, one per row.
    private(set) var valueGradient: [Float] = []

    private var errors: [Float] = [], squares: [Float] = []
    private var changes: [Float] = [], clippedErrors: [Float] = [], clippedSquares: [Float] = [], rowLosses: [Float] = []

    /// Evaluates the objective and its gradient for the values `values`; `clipCoef` nil: unclipped.
    mutating func evaluate(
        values: UnsafeBufferPointer<Float>, oldValues: [Float], returns: [Float], clipCoef: Float?, vfCoef: Float
    ) {
        let rows = values.count, n = Float(rows)
        for buffer in [\Self.valueGradient, \.errors, \.squares, \.changes, \.clippedErrors, \.clippedSquares, \.rowLosses] {
            if self[keyPath: buffer].count != rows { self[keyPath: buffer] = [Float](repeating: 0, count: rows) }
        }
        // Forward: the squared error, and with a clip the squared error of the clipped value.
        for r in 0..<rows {
            errors[r] = values[r] - returns[r]
            squares[r] = errors[r] * errors[r]
        }
        if let clipCoef {
            for r in 0..<rows {
                changes[r] = values[r] - oldValues[r]
                clippedErrors[r] = (oldValues[r] + Swift.min(Swift.max(changes[r], -clipCoef), clipCoef)) - returns[r]
                clippedSquares[r] = clippedErrors[r] * clippedErrors[r]
                rowLosses[r] = Swift.max(squares[r], clippedSquares[r])
            }
        }
        let perRow = clipCoef == nil ? squares : rowLosses
        loss = perRow.withUnsafeBufferPointer { Tensor.sum($0) } / n * 0.5
        objective = loss * vfCoef

        // Backward, in the graph's order (each `0 +` is the graph adding a rule's value into a fresh
        // gradient). The mean's gradient per row, then, with a clip, the clipped path first.
        let rowGradient = 0 + (0 + (0 + (0 + 1 * vfCoef) * 0.5) / n)
        for r in 0..<rows {
            if let clipCoef {
                let takesUnclipped = squares[r] >= clippedSquares[r]
                let squareGradient: Float = takesUnclipped ? rowGradient : 0
                let clippedSquareGradient: Float = takesUnclipped ? 0 : rowGradient
                let clippedErrorGradient = clippedSquareGradient * clippedErrors[r] + clippedSquareGradient * clippedErrors[r]
                let inClip = changes[r] >= -clipCoef && changes[r] <= clipCoef
                let throughClip = 0 + (inClip ? clippedErrorGradient : 0)
                valueGradient[r] = throughClip + (squareGradient * errors[r] + squareGradient * errors[r])
            } else {
                valueGradient[r] = rowGradient * errors[r] + rowGradient * errors[r]
            }
        }
    }
}
