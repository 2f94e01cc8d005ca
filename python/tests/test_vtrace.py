"""V-trace's targets of a captured batch, as Fleet's learner computed them (data/appo-cartpole/vtrace.json,
written by Tests/FleetClusterTests/VTraceCaptureTargetsTests.swift), against the numpy reference
bench/reference/vtrace.py applied to the capture's own rewards and episode ends (read here with
fleet_env.captures), and the reference against docs/REFERENCE's vectors."""
import importlib.util
import json
import os
from collections import defaultdict

import numpy as np
import pytest

from fleet_env.captures import read_capture, trajectories

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(os.path.dirname(__file__), "data", "appo-cartpole")


def reference():
    spec = importlib.util.spec_from_file_location("vtrace_reference", os.path.join(TOP, "bench", "reference", "vtrace.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.vtrace


def column(values):
    return np.asarray(values, np.float64)[:, None]


def test_the_reference_gives_the_two_vectors():
    vtrace = reference()
    targets, advantages = vtrace(
        column([1, 0, 2]), column([0.5, 1.0, 1.5]), column(np.log([1.5, 0.5, 1.0])), column([0, 0, 1]), column([0] * 3),
        column([0] * 3), [3.0], gamma=0.9)
    np.testing.assert_allclose(targets[:, 0], [2.26, 1.40, 2.00], atol=1e-6)
    np.testing.assert_allclose(advantages[:, 0], [1.76, 0.40, 0.50], atol=1e-6)
    five = (column([1, 0, -0.5, 1, 2]), column([0.5, 0.4, 0.3, -0.2, 0.6]), column([0.1, -0.3, 0.5, 0, -1.2]),
            column([0, 0, 1, 0, 0]), column([0] * 5), column([0] * 5), [0.7])
    targets, advantages = vtrace(*five, gamma=0.99)
    np.testing.assert_allclose(targets[:, 0], [0.739598, -0.2630323, -0.5, 2.2180955, 1.2303995], atol=1e-6)
    np.testing.assert_allclose(advantages[:, 0], [0.239598, -0.6630323, -0.8, 2.4180955, 0.6303995], atol=1e-6)
    targets, advantages = vtrace(*five, gamma=0.99, lam=0.95)
    np.testing.assert_allclose([targets[0, 0], targets[1, 0], advantages[0, 0]], [0.800009, -0.2336959, 0.2686411], atol=1e-6)
    targets, _ = vtrace(*five, gamma=0.99, rho_bar=2.0)
    np.testing.assert_allclose(targets[:, 0], [0.4570144, -0.6436553, -1.018977, 2.2180955, 1.2303995], atol=1e-6)


def captured_updates():
    """The capture's consumed batches, grouped by the learner version that trained on them, in order."""
    updates = defaultdict(list)
    for name in sorted(os.listdir(os.path.join(DATA, "captures"))):
        if name.startswith("consumed-"):
            for entry in read_capture(os.path.join(DATA, "captures", name), strict=True):
                updates[entry.learner_version].append(trajectories(entry))
    return updates


def test_the_learners_targets_of_a_captured_batch_are_the_references():
    with open(os.path.join(DATA, "vtrace.json")) as file:
        swift = json.load(file)
    vtrace = reference()
    updates = captured_updates()
    assert sorted(updates) == [record["learner_version"] for record in swift["updates"]]
    stale = 0
    for record in swift["updates"]:
        batches = updates[record["learner_version"]]
        stale += sum(b["policy_version"] < record["learner_version"] for b in batches)
        # The update's batches side by side along the environment axis, [T, N].
        rewards, terminated, truncated = (np.concatenate([b[k] for b in batches], axis=1) for k in ("rewards", "terminated", "truncated"))
        steps, envs = rewards.shape
        shaped = {k: np.asarray(record[k], np.float64).reshape(steps, envs)
                  for k in ("log_ratios", "values", "final_values", "targets", "advantages")}
        # Final values only where the capture says a truncated step left a final observation.
        assert np.all(shaped["final_values"][~truncated] == 0)
        targets, advantages = vtrace(
            rewards, shaped["values"], shaped["log_ratios"], terminated, truncated, shaped["final_values"],
            record["bootstrap_values"], gamma=swift["gamma"], rho_bar=swift["rho_clip"], c_bar=swift["c_clip"],
            lam=swift["lambda"])
        np.testing.assert_allclose(shaped["targets"], targets, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(shaped["advantages"], advantages, rtol=1e-5, atol=1e-5)
    assert stale > 0, "some batches were sampled by an older policy"
    ratios = np.exp(np.concatenate([record["log_ratios"] for record in swift["updates"]]))
    assert ratios.max() > swift["rho_clip"] or ratios.min() < swift["c_clip"], "the clips are exercised"
