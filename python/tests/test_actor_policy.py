"""The reference actor's pieces that need no learner: the policy spec, weights checks, sampling,
and endpoints. (``test_actor.py`` checks them against a live learner.)"""
import hashlib
import math

import numpy as np
import pytest
from gymnasium import spaces

from fleet_env import fleet_pb2 as pb
from fleet_env import wire
from fleet_env.actor import Endpoints, Policy, PolicyError, environment_of, ppo_policy_spec

CARTPOLE_SPEC = """fleet-ppo-policy 1
actions discrete count=2
observation size=4 normalizer=none
fleet-module-spec 1
mlp sizes=4,64,64,2 activation=tanh
param 0.weight 64x4
param 0.bias 64
param 2.weight 64x64
param 2.bias 64
param 4.weight 2x64
param 4.bias 2
"""


def weights_for(policy, version=1, rng=None, **replace):
    """Random weights of ``policy``'s names and shapes (``replace`` swaps arrays by name)."""
    rng = rng or np.random.default_rng(0)
    message = pb.Weights(version=version, model_spec_hash=policy.hash)
    for name, shape in policy.shapes.items():
        array = replace.get(name, rng.normal(0, 0.5, shape).astype(np.float32))
        if name == "obs_rms.var" and name not in replace:
            array = np.abs(array) + np.float32(0.5)
        wire.fill_tensor(message.tensors.add(name=name).tensor, array)
    return message


def test_the_cartpole_spec_is_the_documented_one():
    assert ppo_policy_spec(4, spaces.Discrete(2)) == CARTPOLE_SPEC
    assert hashlib.sha256(CARTPOLE_SPEC.encode()).hexdigest() == \
        "365a7543b4ad8ea8c14c22534059d2bb839c7fe657630b326ca6e12d72c99090"
    policy = Policy(CARTPOLE_SPEC)
    assert policy.discrete and policy.sizes == [4, 64, 64, 2] and policy.clip is None
    assert policy.shapes == {"actor.0.weight": (64, 4), "actor.0.bias": (64,), "actor.2.weight": (64, 64),
                             "actor.2.bias": (64,), "actor.4.weight": (2, 64), "actor.4.bias": (2,)}


def test_a_gaussian_spec_with_a_normalizer_names_its_extra_tensors():
    policy = Policy(ppo_policy_spec(3, spaces.Box(-2, 2, (1,)), hidden_sizes=(8,), normalize_observations=True))
    assert not policy.discrete and policy.action_size == 1 and policy.clip == 10
    assert policy.shapes["actor_logstd"] == (1,) and policy.shapes["obs_rms.count"] == (1,)


@pytest.mark.parametrize("spec", [CARTPOLE_SPEC.replace("tanh", "gelu"), CARTPOLE_SPEC.replace("4,64,64,2", "4,64,2"),
                                  CARTPOLE_SPEC.replace("fleet-ppo-policy 1", "fleet-ppo-policy 2"),
                                  CARTPOLE_SPEC.rstrip("\n")])
def test_specs_this_actor_cannot_run_are_refused(spec):
    with pytest.raises(PolicyError):
        Policy(spec)


def test_weights_are_checked_before_they_are_taken():
    policy = Policy(CARTPOLE_SPEC)
    good = weights_for(policy)
    policy.load(good)
    assert policy.version == 1
    wrong_hash = weights_for(policy, version=2)
    wrong_hash.model_spec_hash = bytes(32)
    wrong_shape = weights_for(policy, version=3, **{"actor.4.bias": np.zeros(3, np.float32)})
    not_finite = weights_for(policy, version=4, **{"actor.0.bias": np.full(64, np.nan, np.float32)})
    missing = weights_for(policy, version=5)
    del missing.tensors[0]
    extra = weights_for(policy, version=6)
    wire.fill_tensor(extra.tensors.add(name="critic.0.bias").tensor, np.zeros(64, np.float32))
    for bad in (wrong_hash, wrong_shape, not_finite, missing, extra):
        with pytest.raises(PolicyError):
            policy.load(bad)
    assert policy.version == 1


def test_discrete_actions_follow_the_probabilities_and_carry_their_log_probs():
    policy = Policy(CARTPOLE_SPEC)
    policy.load(weights_for(policy, **{"actor.4.weight": np.zeros((2, 64), np.float32),
                                      "actor.4.bias": np.array([0.0, math.log(3.0)], np.float32)}))
    actions, log_probs = policy.act(np.zeros((20000, 4), np.float32), np.random.default_rng(1))
    assert actions.dtype == np.int64 and log_probs.dtype == np.float32
    assert abs(actions.mean() - 0.75) < 0.01
    np.testing.assert_allclose(log_probs, np.where(actions == 1, math.log(0.75), math.log(0.25)), atol=1e-6)


def test_gaussian_log_probs_are_the_normal_density_of_normalized_observations():
    policy = Policy(ppo_policy_spec(3, spaces.Box(-2, 2, (2,)), hidden_sizes=(8,), normalize_observations=True))
    rng = np.random.default_rng(2)
    policy.load(weights_for(policy, rng=rng))
    observations = rng.normal(0, 30, (500, 3)).astype(np.float32)
    actions, log_probs = policy.act(observations, rng)
    assert actions.shape == (500, 2) and actions.dtype == np.float32
    t = policy.tensors
    x = np.clip((observations - t["obs_rms.mean"]) / np.sqrt(t["obs_rms.var"].astype(np.float64) + 1e-8), -10, 10)
    mean = np.tanh(x @ t["actor.0.weight"].T.astype(np.float64) + t["actor.0.bias"]) @ t["actor.2.weight"].T \
        + t["actor.2.bias"]
    std = np.exp(t["actor_logstd"].astype(np.float64))
    density = (-0.5 * ((actions - mean) / std) ** 2 - np.log(std) - 0.5 * math.log(2 * math.pi)).sum(axis=1)
    np.testing.assert_allclose(log_probs, density, rtol=1e-4, atol=1e-4)
    assert np.abs(x).max() == 10  # some observations were clipped


def test_connect_derives_the_three_endpoints_as_fleet_actor_does():
    assert Endpoints.connecting_to("ipc:///tmp/run/") == Endpoints(
        "ipc:///tmp/run/batches", "ipc:///tmp/run/weights", "ipc:///tmp/run/control")
    for target in ("tcp://host", "ipc://", "inproc://x"):
        with pytest.raises(ValueError):
            Endpoints.connecting_to(target)


def test_a_subject_names_the_environment_to_make():
    assert environment_of("CartPole-v1") == ("gymnasium:CartPole-v1", {})
    assert environment_of("gymnasium:Acrobot-v1") == ("gymnasium:Acrobot-v1", {})
    assert environment_of('gymnasium:CartPole-v1 {"max_episode_steps": 50}') == \
        ("gymnasium:CartPole-v1", {"max_episode_steps": 50})
    assert environment_of("toy_envs:make {}") == ("toy_envs:make", {})
