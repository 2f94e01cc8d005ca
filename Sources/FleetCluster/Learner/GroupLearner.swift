import FleetAlgorithms
import FleetTensor

/// The learner behind ``GroupTraining``: GRPO's (Dr. GRPO, DAPO) or language PPO's, each with its
/// state as checkpoint entries.
package protocol GroupLearner: AnyObject {
    /// The policy being trained.
    var policy: TransformerLM { get }
    /// Updates done.
    var iteration: Int { get }
    /// The parameters the cluster broadcasts.
    func policyParameters() -> [(name: String, tensor: Tensor)]
    /// One update: its scalars (verl's names), and how many steps a non-finite loss or gradient skipped.
    func train(_ groups: [ResponseGroup]) -> (scalars: [MetricScalar], nonFiniteSkipped: Int)
    /// The whole state, as checkpoint entries.
    func archive() -> TensorArchive
    /// Continues from entries ``archive()`` wrote; on error nothing changes.
    func restore(_ archive: TensorArchive) throws
}

extension GRPOLearner: GroupLearner {
    package func train(_ groups: [ResponseGroup]) -> (scalars: [MetricScalar], nonFiniteSkipped: Int) {
        let statistics = update(groups)
        return (statistics.scalars.map { MetricScalar($0.tag, $0.value) }, statistics.nonFiniteSkipped)
    }

    package func archive() -> TensorArchive { TensorArchive(exportState()) }

    package func restore(_ archive: TensorArchive) throws { try restoreState(try archive.grpoLearnerState()) }
}

extension LanguagePPOLearner: GroupLearner {
    package func train(_ groups: [ResponseGroup]) -> (scalars: [MetricScalar], nonFiniteSkipped: Int) {
        let statistics = update(groups)
        return (statistics.scalars.map { MetricScalar($0.tag, $0.value) }, statistics.nonFiniteSkipped)
    }

    package func archive() -> TensorArchive { TensorArchive(exportState()) }

    package func restore(_ archive: TensorArchive) throws { try restoreState(try archive.languagePPOLearnerState()) }
}
