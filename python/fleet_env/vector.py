"""N copies of a Gymnasium environment stepped in one process, with Fleet's same-step autoreset.

Gymnasium 1.x vector environments reset an ended copy on the *next* step by default. Fleet resets
it in the step its episode ends (Gymnasium's ``AutoresetMode.SAME_STEP``): after that step the
copy's observation is the new episode's first one, and the observation the ending step produced
is reported beside it as the final observation.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import gymnasium
import numpy as np
from gymnasium import spaces

from . import wire

_SEED_MODULUS = 2**64  # seeds are uint64 on the wire; seed + i wraps like Swift's &+


def make_env(env_id: str, kwargs: dict | None = None) -> gymnasium.Env:
    """One environment from an id: ``gymnasium:ID`` is ``gymnasium.make(ID, **kwargs)`` (ID may
    itself be ``module:Name-v0``, which Gymnasium imports first); any other ``module:callable``
    imports ``module`` and calls ``callable(**kwargs)`` (a function or an Env class; dotted
    attribute paths like ``module:Class.create`` work), which must return a Gymnasium Env."""
    kwargs = dict(kwargs or {})
    module_name, _, name = env_id.partition(":")
    if not module_name or not name:
        raise ValueError(f"env id {env_id!r}: expected gymnasium:ID (a registered environment) or module:callable")
    if module_name == "gymnasium":
        return gymnasium.make(name, **kwargs)
    factory = importlib.import_module(module_name)
    for attribute in name.split("."):
        factory = getattr(factory, attribute)
    if not callable(factory):
        raise ValueError(f"env id {env_id!r}: {name} in module {module_name} is not callable")
    env = factory(**kwargs)
    if not isinstance(env, gymnasium.Env):
        raise TypeError(f"env id {env_id!r}: {name}(...) returned a {type(env).__name__}, not a gymnasium.Env")
    return env


@dataclass(frozen=True)
class VectorSpec:
    """What a vector of environments looks like from outside (the wire's ``EnvSpec``)."""

    env_id: str
    num_envs: int
    observation_space: spaces.Box
    action_space: spaces.Discrete | spaces.Box
    reward_threshold: float | None  # solved at this mean return over 100 episodes, if known
    max_episode_steps: int  # the time limit, 0 if none


@dataclass
class StepResult:
    """The copies after one step. ``final_*``, ``episode_returns`` and ``episode_lengths`` list the
    copies whose episode ended in this step, by increasing copy index."""

    observations: np.ndarray  # [N, obs...] float32 (uint8 for pixels): what each copy acts on next
    rewards: np.ndarray  # [N] float64
    terminated: np.ndarray  # [N] bool
    truncated: np.ndarray  # [N] bool
    final_envs: np.ndarray  # [K] int64: the copies whose episode ended
    final_observations: np.ndarray  # [K, obs...] as observations: the observation the ending step produced
    episode_returns: np.ndarray  # [K] float64
    episode_lengths: np.ndarray  # [K] int64


class SameStepVector:
    """``num_envs`` copies of ``make_env(env_id, kwargs)``, stepped in order, with same-step
    autoreset.

    The observation space must be a Box (observations are cast to float32, or kept uint8 for a
    uint8 Box: pixels travel as one byte each); the action space
    Discrete (starting at 0) or Box. Box actions are clipped to the space's bounds before
    ``env.step``, as CleanRL's ``ClipAction`` wrapper does, so a Gaussian policy's samples outside
    the bounds are valid actions; NaN actions are refused. Discrete actions outside ``[0, n)``
    are refused.
    """

    def __init__(self, env_id: str, num_envs: int, kwargs: dict | None = None):
        if num_envs < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        self.env_id = env_id
        self.num_envs = num_envs
        self.envs = [make_env(env_id, kwargs) for _ in range(num_envs)]
        first = self.envs[0]
        self.observation_space = _checked_observation_space(env_id, first.observation_space)
        self.action_space = _checked_action_space(env_id, first.action_space)
        self._observation_shape = tuple(self.observation_space.shape)
        self._observation_dtype = wire.observation_dtype(self.observation_space)
        self.observations = np.zeros((num_envs, *self._observation_shape), dtype=self._observation_dtype)
        self._returns = [0.0] * num_envs
        self._lengths = [0] * num_envs

    @property
    def spec(self) -> VectorSpec:
        """The environment id, N, the spaces, and the reward threshold and time limit from the
        first copy's ``env.spec`` (none and 0 when it has no spec)."""
        env_spec = self.envs[0].spec
        threshold = None if env_spec is None else env_spec.reward_threshold
        max_steps = None if env_spec is None else env_spec.max_episode_steps
        return VectorSpec(
            env_id=self.env_id,
            num_envs=self.num_envs,
            observation_space=self.observation_space,
            action_space=self.action_space,
            reward_threshold=None if threshold is None else float(threshold),
            max_episode_steps=int(max_steps or 0),
        )

    def reset(self, seed: int | None = None) -> np.ndarray:
        """Resets every copy, copy ``i`` with seed ``seed + i`` (modulo 2**64), or continuing its
        own random stream when ``seed`` is None. Returns the observations ``[N, obs...]``."""
        for index, env in enumerate(self.envs):
            copy_seed = None if seed is None else (seed + index) % _SEED_MODULUS
            observation, _ = env.reset(seed=copy_seed)
            self.observations[index] = self._observation(observation)
            self._returns[index] = 0.0
            self._lengths[index] = 0
        return self.observations.copy()

    def step(self, actions) -> StepResult:
        """Steps copy ``i`` with ``actions[i]`` (``[N]`` integers for Discrete, ``[N, act...]``
        for Box), and resets every copy whose episode ended (terminated or truncated) with
        ``seed=None``, reporting that episode's final observation, return and length."""
        actions = self._env_actions(actions)
        rewards = np.zeros(self.num_envs, dtype=np.float64)
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        final_envs, final_observations, episode_returns, episode_lengths = [], [], [], []
        for index, (env, action) in enumerate(zip(self.envs, actions)):
            observation, reward, ended_terminal, ended_truncated, _ = env.step(action)
            rewards[index] = float(reward)
            terminated[index] = bool(ended_terminal)
            truncated[index] = bool(ended_truncated)
            self._returns[index] += float(reward)
            self._lengths[index] += 1
            observation = self._observation(observation)
            if ended_terminal or ended_truncated:
                final_envs.append(index)
                final_observations.append(observation)
                episode_returns.append(self._returns[index])
                episode_lengths.append(self._lengths[index])
                self._returns[index] = 0.0
                self._lengths[index] = 0
                observation, _ = env.reset()
                observation = self._observation(observation)
            self.observations[index] = observation
        return StepResult(
            observations=self.observations.copy(),
            rewards=rewards,
            terminated=terminated,
            truncated=truncated,
            final_envs=np.array(final_envs, dtype=np.int64),
            final_observations=np.array(final_observations, dtype=self._observation_dtype).reshape(
                -1, *self._observation_shape),
            episode_returns=np.array(episode_returns, dtype=np.float64),
            episode_lengths=np.array(episode_lengths, dtype=np.int64),
        )

    def close(self) -> None:
        """Closes every copy."""
        for env in self.envs:
            env.close()

    def _observation(self, observation) -> np.ndarray:
        return np.asarray(observation, dtype=self._observation_dtype).reshape(self._observation_shape)

    def _env_actions(self, actions) -> list:
        """The per-copy actions ``env.step`` takes: Python ints, or clipped arrays of the action
        shape and dtype."""
        actions = np.asarray(actions)
        if isinstance(self.action_space, spaces.Discrete):
            if actions.shape != (self.num_envs,) or not np.issubdtype(actions.dtype, np.integer):
                raise ValueError(
                    f"expected {self.num_envs} integer actions, got shape {list(actions.shape)} of {actions.dtype}")
            n = int(self.action_space.n)
            if actions.min() < 0 or actions.max() >= n:
                bad = int(actions[(actions < 0) | (actions >= n)][0])
                raise ValueError(f"action {bad} is outside Discrete({n})")
            return [int(action) for action in actions]
        shape = tuple(self.action_space.shape)
        if actions.size != self.num_envs * int(np.prod(shape, dtype=np.int64)) or not np.issubdtype(actions.dtype, np.number):
            raise ValueError(
                f"expected {self.num_envs} actions of shape {list(shape)}, got shape {list(actions.shape)} of {actions.dtype}")
        actions = actions.reshape(self.num_envs, *shape)
        if np.isnan(actions).any():
            raise ValueError("a NaN action")
        low, high = self.action_space.low, self.action_space.high
        dtype = self.action_space.dtype
        return [np.clip(action, low, high).astype(dtype) for action in actions]


def _checked_observation_space(env_id: str, space) -> spaces.Box:
    if not isinstance(space, spaces.Box):
        raise ValueError(f"env id {env_id!r}: the observation space must be a Box, this one is {space}")
    return space


def _checked_action_space(env_id: str, space) -> spaces.Discrete | spaces.Box:
    if isinstance(space, spaces.Discrete):
        if int(space.start) != 0:
            raise ValueError(f"env id {env_id!r}: a Discrete action space must start at 0, this one is {space}")
        return space
    if isinstance(space, spaces.Box):
        return space
    raise ValueError(f"env id {env_id!r}: the action space must be Discrete or Box, this one is {space}")
