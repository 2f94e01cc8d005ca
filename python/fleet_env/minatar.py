"""MinAtar's games (Young & Tian 2019, the ``minatar`` package on PyPI) as Gymnasium environments
whose observations Fleet carries as pixels: uint8 planes ``[channels, 10, 10]`` of 0 and 1 (MinAtar's
boolean ``[10, 10, channels]`` state, channels first), with the game's minimal action set.

Serve one to Fleet with ``env_id: fleet_env.minatar:make`` and ``env_kwargs: {game: breakout}``
(``asterix``, ``breakout``, ``freeway``, ``seaquest``, ``space_invaders``). ``pip install minatar``
(or ``pip install --no-deps minatar``: only numpy is needed to play).
"""
import gymnasium as gym
import numpy as np
from gymnasium import spaces

GAMES = ("asterix", "breakout", "freeway", "seaquest", "space_invaders")


class MinAtar(gym.Env):
    """One MinAtar game. ``sticky_action_prob`` and ``difficulty_ramping`` are MinAtar's own
    (defaults 0.1 and True, as in the paper); ``max_episode_steps`` truncates an episode."""

    metadata = {"render_modes": []}

    def __init__(self, game: str = "breakout", sticky_action_prob: float = 0.1, difficulty_ramping: bool = True,
                 max_episode_steps: int = 10_000):
        if game not in GAMES:
            raise ValueError(f"MinAtar has no game {game!r}: one of {', '.join(GAMES)}")
        try:
            from minatar import Environment
        except ImportError as error:
            raise ImportError("fleet_env.minatar needs the minatar package: pip install minatar") from error
        self.game = Environment(game, sticky_action_prob=sticky_action_prob, difficulty_ramping=difficulty_ramping)
        self.actions = list(self.game.minimal_action_set())
        height, width, channels = self.game.state_shape()
        self.action_space = spaces.Discrete(len(self.actions))
        self.observation_space = spaces.Box(0, 1, shape=(channels, height, width), dtype=np.uint8)
        self.max_episode_steps = max_episode_steps
        self.steps = 0

    def _observation(self) -> np.ndarray:
        return np.ascontiguousarray(self.game.state().transpose(2, 0, 1), dtype=np.uint8)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if seed is not None:
            self.game.seed(seed)
        self.game.reset()
        self.steps = 0
        return self._observation(), {}

    def step(self, action):
        reward, terminated = self.game.act(self.actions[int(action)])
        self.steps += 1
        truncated = not terminated and self.steps >= self.max_episode_steps
        return self._observation(), float(reward), bool(terminated), truncated, {}


def make(**kwargs) -> MinAtar:
    """The ``module:callable`` Fleet's ``env_id`` names: ``fleet_env.minatar:make``."""
    return MinAtar(**kwargs)
