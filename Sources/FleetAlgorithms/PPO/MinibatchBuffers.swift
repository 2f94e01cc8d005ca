/// One minibatch gathered from a ``RolloutBatch`` by index, into arrays kept across minibatches
/// (written in place once the previous minibatch's tensors are gone, so no reallocation).
struct MinibatchBuffers {
    var observations: [Float] = []
    var discreteActions: [Int] = []
    var continuousActions: [Float] = []
    var logProbs: [Float] = []
    var advantages: [Float] = []
    var returns: [Float] = []
    var values: [Float] = []

    /// Fills every buffer with the rows `indices` of the batch.
    mutating func gather(_ indices: ArraySlice<Int>, from batch: RolloutBatch,
                         advantages allAdvantages: [Float], returns allReturns: [Float], values allValues: [Float]) {
        let m = indices.count, size = batch.observationSize
        Self.resize(&observations, m * size)
        Self.resize(&logProbs, m)
        Self.resize(&advantages, m)
        Self.resize(&returns, m)
        Self.resize(&values, m)
        switch batch.actions {
        case .discrete: Self.resize(&discreteActions, m)
        case .continuous(_, let dimension): Self.resize(&continuousActions, m * dimension)
        }
        batch.observations.withUnsafeBufferPointer { source in
            observations.withUnsafeMutableBufferPointer { destination in
                for (row, index) in indices.enumerated() {
                    let from = source.baseAddress! + index * size
                    (destination.baseAddress! + row * size).update(from: from, count: size)
                }
            }
        }
        for (row, index) in indices.enumerated() {
            logProbs[row] = batch.logProbs[index]
            advantages[row] = allAdvantages[index]
            returns[row] = allReturns[index]
            values[row] = allValues[index]
        }
        switch batch.actions {
        case .discrete(let actions):
            for (row, index) in indices.enumerated() { discreteActions[row] = actions[index] }
        case .continuous(let actions, let a):
            for (row, index) in indices.enumerated() {
                for j in 0..<a { continuousActions[row * a + j] = actions[index * a + j] }
            }
        }
    }

    /// The gathered actions, of the kind of `batch`'s.
    func actions(like batch: RolloutBatch) -> PolicyActions {
        switch batch.actions {
        case .discrete: .discrete(discreteActions)
        case .continuous(_, let dimension): .continuous(continuousActions, dimension: dimension)
        }
    }

    private static func resize<T: Numeric>(_ array: inout [T], _ count: Int) {
        if array.count != count { array = [T](repeating: 0, count: count) }
    }
}
