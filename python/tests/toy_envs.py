"""Small environments for the tests, made through ``module:callable`` env ids."""
import gymnasium
import numpy as np
from gymnasium import spaces


class Counter(gymnasium.Env):
    """Counts its steps: the observation is (step, last action's first value), the reward is
    ``reward`` per step, and the episode terminates after ``length`` steps. Box actions in
    [-1, 1]^2; the actions it received are kept in ``actions``. With ``fail_at_step`` it raises
    RuntimeError on that step of an episode."""

    def __init__(self, length: int = 3, reward: float = 1.0, fail_at_step: int | None = None):
        self.length = length
        self.reward = reward
        self.fail_at_step = fail_at_step
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(2,), dtype=np.float64)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.actions = []
        self.steps = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.steps = 0
        return np.array([0.0, 0.0]), {}

    def step(self, action):
        self.steps += 1
        if self.fail_at_step is not None and self.steps == self.fail_at_step:
            raise RuntimeError(f"counter broke at step {self.steps}")
        self.actions.append(np.array(action))
        observation = np.array([float(self.steps), float(action[0])])
        return observation, self.reward, self.steps >= self.length, False, {}


def make_counter(**kwargs) -> Counter:
    """A Counter, made by a function."""
    return Counter(**kwargs)


def make_not_an_env(**kwargs):
    """Returns something that is not an environment."""
    return {"kwargs": kwargs}


class DiscreteObservations(gymnasium.Env):
    """An environment whose observation space is not a Box."""

    observation_space = spaces.Discrete(3)
    action_space = spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        return 0, {}

    def step(self, action):
        return 0, 0.0, True, False, {}


def make_slow_cartpole(delay: float = 0.1):
    """Gymnasium's CartPole-v1, taking ``delay`` seconds per step: a slow environment."""
    import time

    class Slow(gymnasium.Wrapper):
        def step(self, action):
            time.sleep(delay)
            return self.env.step(action)

    return Slow(gymnasium.make("CartPole-v1"))


class Pixels(gymnasium.Env):
    """A pixel environment: uint8 frames ``[1, 2, 3]`` whose every pixel holds ``min(40 * step + 5
    * action, 255)``; reward 1 per step, truncated after ``length`` steps. Three actions."""

    def __init__(self, length: int = 3):
        self.length = length
        self.observation_space = spaces.Box(0, 255, shape=(1, 2, 3), dtype=np.uint8)
        self.action_space = spaces.Discrete(3)
        self.steps = 0

    def _frame(self, action: int) -> np.ndarray:
        return np.full((1, 2, 3), min(40 * self.steps + 5 * action, 255), dtype=np.uint8)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.steps = 0
        return self._frame(0), {}

    def step(self, action):
        self.steps += 1
        return self._frame(int(action)), 1.0, False, self.steps >= self.length, {}
