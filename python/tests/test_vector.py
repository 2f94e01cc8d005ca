"""SameStepVector against Gymnasium's own same-step vector environment, and make_env's ids."""
import gymnasium
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from fleet_env.vector import SameStepVector, make_env

NUM_ENVS = 4


def assert_same_bits(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, (ours.dtype, ours.shape, theirs.dtype, theirs.shape)
    assert ours.tobytes() == theirs.tobytes(), (ours, theirs)


def gymnasium_same_step(env_id, kwargs):
    return SyncVectorEnv(
        [lambda: gymnasium.make(env_id, **kwargs) for _ in range(NUM_ENVS)],
        autoreset_mode=AutoresetMode.SAME_STEP,
    )


def run_side_by_side(env_id, kwargs, draw_actions, steps, seed):
    """Steps SameStepVector and Gymnasium's SAME_STEP SyncVectorEnv with the same actions, checks
    every output bit for bit, and returns how many episodes terminated and were truncated."""
    ours = SameStepVector(f"gymnasium:{env_id}", NUM_ENVS, kwargs)
    theirs = gymnasium_same_step(env_id, kwargs)
    assert_same_bits(ours.reset(seed), theirs.reset(seed=seed)[0])
    returns = np.zeros(NUM_ENVS)
    lengths = np.zeros(NUM_ENVS, dtype=np.int64)
    terminations = truncations = 0
    for _ in range(steps):
        actions = draw_actions()
        result = ours.step(actions)
        observations, rewards, terminated, truncated, info = theirs.step(actions)
        assert_same_bits(result.observations, observations)
        assert_same_bits(result.rewards, rewards)
        assert_same_bits(result.terminated, terminated)
        assert_same_bits(result.truncated, truncated)

        ended = terminated | truncated
        returns += rewards
        lengths += 1
        assert_same_bits(result.final_envs, np.flatnonzero(ended).astype(np.int64))
        assert_same_bits(result.episode_returns, returns[ended])
        assert_same_bits(result.episode_lengths, lengths[ended])
        if ended.any():
            assert_same_bits(info["_final_obs"], ended)
            assert_same_bits(result.final_observations, np.stack(info["final_obs"][ended]))
        else:
            assert "final_obs" not in info
            assert result.final_observations.shape == (0, *ours.observation_space.shape)
        returns[ended] = 0
        lengths[ended] = 0
        terminations += int(terminated.sum())
        truncations += int(truncated.sum())

    assert_same_bits(ours.reset(None), theirs.reset()[0])  # unseeded: each copy continues its stream
    ours.close()
    theirs.close()
    return terminations, truncations


def test_cartpole_matches_gymnasium_same_step():
    generator = np.random.default_rng(1)
    terminations, truncations = run_side_by_side(
        "CartPole-v1", {"max_episode_steps": 20}, lambda: generator.integers(0, 2, size=NUM_ENVS), steps=2000, seed=42)
    assert terminations > 50 and truncations > 50


def test_pendulum_matches_gymnasium_same_step():
    generator = np.random.default_rng(2)
    # Some actions fall outside [-2, 2]: clipped here, and by Pendulum itself on Gymnasium's side.
    terminations, truncations = run_side_by_side(
        "Pendulum-v1", {}, lambda: (2.5 * generator.standard_normal((NUM_ENVS, 1))).astype(np.float32),
        steps=600, seed=7)
    assert terminations == 0 and truncations == 3 * NUM_ENVS


def test_spec_of_registered_environment():
    spec = SameStepVector("gymnasium:CartPole-v1", 2, {"max_episode_steps": 20}).spec
    assert (spec.env_id, spec.num_envs, spec.reward_threshold, spec.max_episode_steps) == ("gymnasium:CartPole-v1", 2, 475.0, 20)
    assert spec.observation_space.shape == (4,) and spec.action_space.n == 2
    assert SameStepVector("gymnasium:Pendulum-v1", 1).spec.reward_threshold is None


@pytest.mark.parametrize("env_id", ["toy_envs:make_counter", "toy_envs:Counter"])
def test_factory_with_kwargs(env_id):
    vector = SameStepVector(env_id, 3, {"length": 2, "reward": 0.5})
    spec = vector.spec
    assert (spec.reward_threshold, spec.max_episode_steps) == (None, 0)
    assert_same_bits(vector.reset(0), np.zeros((3, 2), dtype=np.float32))  # float64 observations cast to float32

    first = vector.step(np.zeros((3, 2), dtype=np.float32))
    assert not first.terminated.any() and first.final_envs.size == 0
    second = vector.step(np.full((3, 2), 0.25, dtype=np.float32))
    assert_same_bits(second.terminated, np.ones(3, dtype=bool))
    assert_same_bits(second.final_envs, np.arange(3, dtype=np.int64))
    assert_same_bits(second.final_observations, np.tile(np.float32([2.0, 0.25]), (3, 1)))
    assert_same_bits(second.episode_returns, np.full(3, 1.0))
    assert_same_bits(second.episode_lengths, np.full(3, 2, dtype=np.int64))
    assert_same_bits(second.observations, np.zeros((3, 2), dtype=np.float32))  # already reset


def test_box_actions_are_clipped_and_reshaped():
    vector = SameStepVector("toy_envs:Counter", 2, {"length": 10})
    vector.reset(0)
    vector.step(np.float64([2.0, -3.0, 0.5, 0.25]))  # flat: reshaped to [2, 2]
    received = [env.actions[-1] for env in vector.envs]
    assert_same_bits(received[0], np.float32([1.0, -1.0]))
    assert_same_bits(received[1], np.float32([0.5, 0.25]))


def test_bad_actions_are_refused():
    cartpole = SameStepVector("gymnasium:CartPole-v1", 2)
    cartpole.reset(0)
    with pytest.raises(ValueError, match=r"action 2 is outside Discrete\(2\)"):
        cartpole.step(np.array([0, 2]))
    with pytest.raises(ValueError, match="outside"):
        cartpole.step(np.array([-1, 0]))
    with pytest.raises(ValueError, match="integer actions"):
        cartpole.step(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="integer actions"):
        cartpole.step(np.array([0, 1, 0]))
    counter = SameStepVector("toy_envs:Counter", 2)
    counter.reset(0)
    with pytest.raises(ValueError, match="NaN"):
        counter.step(np.float32([[0, 0], [np.nan, 0]]))
    with pytest.raises(ValueError, match=r"actions of shape \[2\]"):
        counter.step(np.zeros((2, 3), dtype=np.float32))


@pytest.mark.parametrize("env_id, error, message", [
    ("CartPole-v1", ValueError, "expected gymnasium:ID"),
    ("gymnasium:", ValueError, "expected gymnasium:ID"),
    (":make", ValueError, "expected gymnasium:ID"),
    ("gymnasium:NoSuchEnv-v0", gymnasium.error.Error, "NoSuchEnv"),
    ("no_such_module_for_fleet:make", ModuleNotFoundError, "no_such_module_for_fleet"),
    ("toy_envs:no_such_factory", AttributeError, "no_such_factory"),
    ("toy_envs:make_not_an_env", TypeError, "returned a dict, not a gymnasium.Env"),
])
def test_bad_env_ids(env_id, error, message):
    with pytest.raises(error, match=message):
        make_env(env_id, {})


def test_unsupported_spaces_and_counts():
    with pytest.raises(ValueError, match="observation space must be a Box"):
        SameStepVector("toy_envs:DiscreteObservations", 1)
    with pytest.raises(ValueError, match="at least 1"):
        SameStepVector("gymnasium:CartPole-v1", 0)
