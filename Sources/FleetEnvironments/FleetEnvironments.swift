/// Environments with a Gymnasium-like contract (CartPole, Acrobot, MountainCar, Pendulum,
/// GridWorld) and prompt tasks with verifiable rewards.
///
/// Knows nothing of networking: everything here runs and is tested in one process.
/// The environments arrive with the PPO issue, the prompt tasks with the GRPO/DAPO issue.
public enum FleetEnvironments {}
