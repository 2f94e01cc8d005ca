/// GAE, PPO, GRPO, Dr. GRPO and DAPO updates, and the tabular oracles (value iteration,
/// policy iteration, TD(0)) that judge learned policies. Semantics: `shared/REFERENCE.md`.
///
/// Knows nothing of networking. GAE (`GAE`) and the tabular oracles (`TabularMDP`,
/// `ValueIteration`, `PolicyIteration`, `TemporalDifference`) are plain Swift on arrays.
/// PPO (`PPO/`: `PPOAgent` acts, `PPOLearner` updates from `Rollout`s) follows CleanRL's `ppo.py`;
/// GRPO/DAPO arrive with their issues.
public enum FleetAlgorithms {}
