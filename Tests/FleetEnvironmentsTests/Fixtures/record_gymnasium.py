"""Records golden trajectories of Gymnasium's classic-control environments for FleetEnvironmentsTests.

Run once by hand, never by CI or the tests (they only read the JSON this writes):

    python3 -m venv /tmp/gymvenv && /tmp/gymvenv/bin/pip install 'gymnasium>=1.0,<2'
    /tmp/gymvenv/bin/python Tests/FleetEnvironmentsTests/Fixtures/record_gymnasium.py

Each `<env>.json` holds a few episodes: the seed given to reset, the internal start state
(`env.unwrapped.state`, float64), the actions taken, and every step's observation (float32,
flattened), reward, terminated and truncated. The Swift tests set the same start state, replay
the actions and compare.
"""

import json
import math
import os

import gymnasium as gym
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def f32(x):
    """The shortest decimal that reads back as the same float32."""
    return float(str(np.float32(x)))


def record(env_id, seed, policy, note):
    env = gym.make(env_id)
    observation, _ = env.reset(seed=seed)
    start_state = [float(v) for v in np.asarray(env.unwrapped.state, dtype=np.float64)]
    rng = np.random.default_rng(seed)
    actions, observations, rewards, terminated, truncated = [], [], [], [], []
    while True:
        action = policy(observation, rng)
        observation, reward, term, trunc, _ = env.step(action)
        actions.append(action.tolist() if isinstance(action, np.ndarray) else int(action))
        observations.extend(f32(v) for v in observation)
        rewards.append(float(reward))
        terminated.append(int(term))
        truncated.append(int(trunc))
        if term or trunc:
            break
    env.close()
    return {
        "note": note,
        "seed": seed,
        "start_state": start_state,
        "actions": actions,
        "observations": observations,
        "rewards": rewards,
        "terminated": terminated,
        "truncated": truncated,
    }


def random_discrete(n):
    return lambda obs, rng: int(rng.integers(n))


def cartpole_balancer(obs, rng):
    x, x_dot, theta, theta_dot = obs
    return int(0.05 * x + 0.1 * x_dot + 1.0 * theta + 0.3 * theta_dot > 0)


def acrobot_pump(obs, rng):
    # Torque along the joints' summed velocity pumps energy into the swing.
    return 2 if obs[4] + obs[5] > 0 else 0


def mountaincar_pump(obs, rng):
    return 2 if obs[1] >= 0 else 0


def pendulum_random(obs, rng):
    # Torques beyond [-2, 2] check the clipping.
    return rng.uniform(-3.0, 3.0, size=(1,)).astype(np.float32)


EPISODES = {
    "CartPole-v1": [
        (1, lambda obs, rng: 1, "constant push right: terminates"),
        (2, random_discrete(2), "random: terminates"),
        (3, cartpole_balancer, "balancing controller: truncates at 500"),
    ],
    "Acrobot-v1": [
        (1, acrobot_pump, "energy pumping: terminates"),
        (2, random_discrete(3), "random: truncates at 500"),
    ],
    "MountainCar-v0": [
        (1, mountaincar_pump, "push along the velocity: terminates"),
        (2, random_discrete(3), "random: truncates at 200"),
    ],
    "Pendulum-v1": [
        (1, pendulum_random, "random torques in [-3, 3]: truncates at 200"),
    ],
}


def main():
    for env_id, episodes in EPISODES.items():
        data = {
            "env": env_id,
            "gymnasium": gym.__version__,
            "numpy": np.__version__,
            "episodes": [record(env_id, seed, policy, note) for seed, policy, note in episodes],
        }
        for episode in data["episodes"]:
            print(env_id, episode["note"], "steps", len(episode["rewards"]),
                  "terminated", episode["terminated"][-1], "truncated", episode["truncated"][-1])
        path = os.path.join(HERE, env_id + ".json")
        with open(path, "w") as file:
            json.dump(data, file, separators=(",", ":"))
            file.write("\n")


if __name__ == "__main__":
    main()
