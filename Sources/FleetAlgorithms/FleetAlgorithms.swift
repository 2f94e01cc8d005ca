/// GAE, PPO, GRPO, Dr. GRPO and DAPO updates, and the tabular oracles (value iteration,
/// policy iteration, TD(0)) that judge learned policies. Semantics: docs/algorithms.md.
///
/// Knows nothing of networking. GAE (`GAE`) and the tabular oracles (`TabularMDP`,
/// `ValueIteration`, `PolicyIteration`, `TemporalDifference`) are plain Swift on arrays.
/// PPO (`PPO/`: `PPOAgent` acts, `PPOLearner` updates from `Rollout`s) follows CleanRL's `ppo.py`;
/// GRPO, Dr. GRPO and DAPO (`GRPO/`: `GroupAdvantages`, `GRPOLoss`, `GRPOSettings`, `GRPOLearner`
/// updates a `TransformerLM` from `ResponseGroup`s) follow DeepSeekMath and verl's `core_algos.py`.
public enum FleetAlgorithms {}
