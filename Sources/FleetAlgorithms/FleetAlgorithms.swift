/// GAE, PPO, GRPO, Dr. GRPO and DAPO updates, and the tabular oracles (value iteration,
/// policy iteration, TD(0)) that judge learned policies. Semantics: `shared/REFERENCE.md`.
///
/// Knows nothing of networking. GAE (`GAE`) and the tabular oracles (`TabularMDP`,
/// `ValueIteration`, `PolicyIteration`, `TemporalDifference`) are plain Swift on arrays;
/// the policy-gradient updates arrive with the PPO and GRPO/DAPO issues.
public enum FleetAlgorithms {}
