"""The reference actor (``python -m fleet_env actor``) against a live Swift learner, and the
learner's answers to protocol mistakes, over raw ZeroMQ sockets.

Needs a built ``fleet`` binary: ``FLEET_BINARY=.build/debug/fleet``.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import zmq
from gymnasium import spaces

FLEET = os.environ.get("FLEET_BINARY")
if not FLEET:
    pytest.skip("FLEET_BINARY is not set: these tests run a live `fleet learner` "
                "(FLEET_BINARY=/path/to/.build/debug/fleet)", allow_module_level=True)

import fleet_env  # noqa: E402
from fleet_env import captures  # noqa: E402
from fleet_env import wire  # noqa: E402
from fleet_env.actor import Policy, ppo_policy_spec, spec_hash  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "cluster" / "cartpole-ppo.yaml"
FLEET_ENV_ROOT = Path(fleet_env.__file__).resolve().parent.parent
CARTPOLE_POLICY_HASH = "365a7543b4ad8ea8c14c22534059d2bb839c7fe657630b326ca6e12d72c99090"  # docs/protocol.md
ANSWER_MILLISECONDS = 5000


def ipc_directory():
    """A fresh owner-only directory (the learner refuses ipc sockets others may reach), with a short path."""
    return Path(tempfile.mkdtemp(prefix="fleet-py-"))


def overrides(directory, **settings):
    """``--set`` arguments for ipc endpoints in ``directory`` and ``settings``."""
    arguments = []
    for channel in ("batches", "weights", "control"):
        arguments += ["--set", f"endpoints.{channel}=ipc://{directory}/{channel}"]
    for key, value in settings.items():
        arguments += ["--set", f"{key}={value}"]
    return arguments


def start(command, log_path, **kwargs):
    log = open(log_path, "w")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, **kwargs)


def python_actor(directory, *arguments, log_path):
    # fleet_env first, then whatever the test set (the toy environments' directory).
    paths = [str(FLEET_ENV_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    command = [sys.executable, "-m", "fleet_env", "actor", "--connect", f"ipc://{directory}", *arguments]
    return start(command, log_path, env=environment)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def read_policy_file(path):
    """The Weights of a policy file: magic "FLEET-POLICY v1\\n", the SHA-256 of the frame, the frame."""
    data = Path(path).read_bytes()
    assert data[:16] == b"FLEET-POLICY v1\n" and hashlib.sha256(data[48:]).digest() == data[16:48]
    return wire.decode(data[48:]).weights


# Alongside a Swift actor ---------------------------------------------------------------------------

def run_alongside(config, directory, **settings):
    """Runs a learner of `config` with two actors, `fleet actor --index 0` and the Python actor as
    actor-1, to the end; returns the run directory, the Python actor's output, and the batches the
    learner trained on by sender (from its captures), with their learner versions."""
    sets = overrides(directory, num_actors=2, **settings)
    run = directory / "run"
    processes = []
    try:
        processes.append(start([FLEET, "learner", str(config), "--run-dir", str(run), "--capture", *sets],
                               directory / "learner.log"))
        processes.append(start([FLEET, "actor", str(config), "--connect", f"ipc://{directory}", "--index", "0", *sets],
                               directory / "actor-0.log"))
        processes.append(python_actor(directory, "--id", "actor-1", "--learner-timeout", "20",
                                      log_path=directory / "actor-1.log"))
        for process in processes:
            process.wait(timeout=90)
    finally:
        for process in processes:
            stop(process)
    logs = {name: (directory / f"{name}.log").read_text() for name in ("learner", "actor-0", "actor-1")}
    assert [p.returncode for p in processes] == [0, 0, 0], logs
    captured = captures.load_run(run / "captures")
    assert not captured.damage and captured.manifest["complete"], captured.manifest
    consumed = {}
    for entry in captured.of_kind("consumed"):
        batches = consumed.setdefault(entry.frame.envelope.sender_id, [])
        batches.append((entry.learner_version, entry.frame.trajectory_batch))
    return run, logs["actor-1"], consumed


def check_log_probs(run, consumed, policy, versions):
    """Both actors' behaviour log-probabilities are what the checkpointed policy of their version gives."""
    checked = {sender: 0 for sender in consumed}
    for version in versions:
        policy.load(read_policy_file(run / "checkpoints" / f"version-{version:06d}" / "policy.fleet"))
        for sender, batches in consumed.items():
            for batch in (batch for _, batch in batches if batch.policy_version == version):
                observations = wire.to_numpy(batch.observations).reshape(-1, policy.observation_size)
                actions = wire.to_numpy(batch.actions).reshape(len(observations), -1)
                expected = policy.log_probs(observations, actions if not policy.discrete else actions[:, 0])
                np.testing.assert_allclose(wire.to_numpy(batch.behaviour_log_probs).reshape(-1), expected,
                                           rtol=1e-5, atol=2e-5, err_msg=f"{sender} at v{version}")
                checked[sender] += 1
    assert min(checked.values()) >= 2, checked


@pytest.mark.parametrize("lag", [0, 1], ids=["on-policy", "max_policy_lag-1"])
def test_python_actor_trains_a_swift_learner_alongside_a_swift_actor(lag):
    """CartPole with two actors: `fleet actor --index 0` and the Python actor. Every update takes
    one batch of each, acted at most `lag` versions before; none is refused; both actors'
    log-probabilities are what the policy of their version gives; the return improves."""
    directory = ipc_directory()
    try:
        run, output, consumed = run_alongside(CONFIG, directory, max_policy_lag=lag, total_timesteps=32768,
                                              checkpoint_every=16, checkpoint_keep=10)
        summary = json.loads((run / "summary.json").read_text())
        assert summary["policy_version"] == 64 and summary["env_steps"] == 32768, summary
        assert summary["rejected"] == {}, summary
        assert summary["actors"]["started"] == 2, summary
        final_line = output.strip().splitlines()[-1]
        assert final_line.startswith("actor-1: stopped (training finished):") and "0 refusals heard" in final_line, output
        assert {sender: len(batches) for sender, batches in consumed.items()} == {"actor-0": 64, "actor-1": 64}
        for batches in consumed.values():
            assert all(0 <= version - batch.policy_version <= lag for version, batch in batches)

        policy = Policy(ppo_policy_spec(4, spaces.Discrete(2)))
        assert policy.hash.hex() == CARTPOLE_POLICY_HASH
        check_log_probs(run, consumed, policy, versions=(16, 32, 48))

        # The Python actor's episodes got longer: the learner learned from its batches too.
        returns = [wire.to_numpy(batch.episode_returns) for _, batch in consumed["actor-1"]]
        early, late = np.concatenate(returns[:16]).mean(), np.concatenate(returns[-16:]).mean()
        assert late > 2 * early, (early, late)
        metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        assert metrics[-1]["charts/return_mean100"] > 2 * metrics[0]["charts/return_mean100"]
        print(f"\nmax_policy_lag {lag}: {final_line}; actor-1 episode returns: first 16 batches {early:.1f}, "
              f"last 16 {late:.1f}; learner return_mean100 {summary['final_return_mean100']}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_python_actor_ships_pixels_as_uint8_alongside_a_swift_actor(monkeypatch):
    """A served pixel environment (``toy_envs:Pixels``, a uint8 Box): the Python actor and
    `fleet actor` both ship uint8 observations, and the learner takes every batch of both."""
    tests = str(Path(__file__).resolve().parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")]))
    directory = ipc_directory()
    try:
        run, output, consumed = run_alongside(
            CONFIG, directory, env_id="toy_envs:Pixels", env_python=sys.executable, total_timesteps=2048,
            max_policy_lag=0)
        summary = json.loads((run / "summary.json").read_text())
        # No batch refused (a run this short may see snapshot requests too close together:
        # `rate_limited` control messages, from either actor).
        assert set(summary["rejected"]) <= {"rate_limited"} and summary["policy_version"] == 4, summary
        assert {sender: len(batches) for sender, batches in consumed.items()} == {"actor-0": 4, "actor-1": 4}
        for sender, batches in consumed.items():
            for _, batch in batches:
                observations = wire.to_numpy(batch.observations)
                assert observations.dtype == np.uint8, (sender, observations.dtype)
                assert observations.reshape(-1, 6).max() <= 255 and observations.size == 128 * 2 * 6
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_python_actor_acts_a_gaussian_policy_on_normalized_observations():
    """Pendulum with observation normalization: the Python actor's Gaussian actions and their
    log-probabilities (actor_logstd, obs_rms) are taken, and are what Fleet computes."""
    directory = ipc_directory()
    try:
        run, output, consumed = run_alongside(
            REPO / "cluster" / "pendulum-ppo.yaml", directory, normalize_observations="true", num_steps=64,
            num_minibatches=4, update_epochs=2, total_timesteps=64 * 4 * 12, checkpoint_every=4, checkpoint_keep=10)
        summary = json.loads((run / "summary.json").read_text())
        assert summary["policy_version"] == 12 and summary["rejected"] == {}, summary
        assert "0 refusals heard" in output.strip().splitlines()[-1], output
        assert {sender: len(batches) for sender, batches in consumed.items()} == {"actor-0": 12, "actor-1": 12}
        policy = Policy(ppo_policy_spec(3, spaces.Box(-2, 2, (1,)), normalize_observations=True))
        check_log_probs(run, consumed, policy, versions=(4, 8))
        assert policy.tensors["obs_rms.count"][0] > 1000  # the normalizer's statistics were in the weights
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# Protocol mistakes ---------------------------------------------------------------------------------

class Peer:
    """Raw sockets speaking to the learner as ``sender_id``: a DEALER on the control channel (routing
    id = the sender id) and, on demand, a PUSH on the batches channel."""

    def __init__(self, context, directory, sender_id):
        self.directory = directory
        self.sender = wire.Sender(sender_id, incarnation=time.time_ns() // 1_000_000)
        self.control = context.socket(zmq.DEALER)
        self.control.setsockopt(zmq.LINGER, 0)
        self.control.setsockopt(zmq.ROUTING_ID, sender_id.encode())
        self.control.connect(f"ipc://{directory}/control")
        self.batches = context.socket(zmq.PUSH)
        self.batches.setsockopt(zmq.LINGER, 1000)
        self.batches.connect(f"ipc://{directory}/batches")

    def frame(self, kind, **fields):
        frame = self.sender.frame()
        payload = getattr(frame, kind)
        payload.SetInParent()
        for name, value in fields.items():
            setattr(payload, name, value)
        return frame

    def say(self, kind, **fields):
        self.control.send(self.frame(kind, **fields).SerializeToString())

    def expect(self, kind):
        """The next frame of ``kind`` on the control channel (others are skipped)."""
        deadline = time.monotonic() + ANSWER_MILLISECONDS / 1000
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            if not self.control.poll(int(left * 1000)):
                break
            frame = wire.decode(self.control.recv())
            if frame.WhichOneof("payload") == kind:
                return frame
            seen.append(frame.WhichOneof("payload"))
        pytest.fail(f"no {kind} from the learner within {ANSWER_MILLISECONDS} ms (saw {seen})")

    def close(self):
        self.control.close()
        self.batches.close()


@pytest.fixture(scope="module")
def learner():
    """A learner of one actor that waits long for it: nothing trains, it only answers."""
    directory = ipc_directory()
    process = start([FLEET, "learner", str(CONFIG), "--run-dir", str(directory / "run"),
                     *overrides(directory, num_actors=1, join_timeout=600, stall_timeout=600)],
                    directory / "learner.log")
    context = zmq.Context()
    yield directory, context
    context.destroy(linger=0)
    stop(process)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def peer(learner):
    directory, context = learner
    opened = []

    def open_peer(sender_id="actor-0"):
        opened.append(Peer(context, directory, sender_id))
        return opened[-1]
    yield open_peer
    for each in opened:
        each.close()


def test_an_empty_hello_is_welcomed_with_the_runs_shape(peer):
    actor = peer()
    actor.say("hello")
    actor.say("snapshot_request", have_version=0)
    welcome = actor.expect("welcome").welcome
    assert (welcome.subject, welcome.num_steps, welcome.num_envs, welcome.max_policy_lag) == ("CartPole-v1", 128, 4, 0)
    assert welcome.group_size == 0
    assert list(welcome.observation_space.shape) == [4] and welcome.action_space.discrete == 2
    assert welcome.policy_spec == ppo_policy_spec(4, spaces.Discrete(2))
    assert bytes(welcome.spec_hash) == spec_hash(f"CartPole-v1|{welcome.policy_spec}")
    weights = actor.expect("weights").weights
    assert bytes(weights.model_spec_hash) == spec_hash(welcome.policy_spec)
    assert bytes(weights.model_spec_hash).hex() == CARTPOLE_POLICY_HASH
    Policy(welcome.policy_spec).load(weights)  # names and shapes as the spec says


def test_a_hello_declaring_the_runs_shape_is_welcomed(peer):
    actor = peer()
    actor.say("hello", spec_hash=spec_hash(f"CartPole-v1|{ppo_policy_spec(4, spaces.Discrete(2))}"), num_envs=4)
    assert actor.expect("welcome").welcome.num_envs == 4


@pytest.mark.parametrize("declared", [spec_hash("Acrobot-v1|" + ppo_policy_spec(6, spaces.Discrete(3))), bytes(32)],
                         ids=["another-environment", "zero-bytes"])
def test_a_hello_of_another_spec_is_shut_down(peer, declared):
    actor = peer()
    actor.say("hello", spec_hash=declared, num_envs=4)
    reason = actor.expect("shutdown").shutdown.reason
    assert "spec hash" in reason and "is not this run's" in reason, reason


def test_a_hello_of_another_width_is_shut_down(peer):
    actor = peer()
    actor.say("hello", spec_hash=spec_hash(f"CartPole-v1|{ppo_policy_spec(4, spaces.Discrete(2))}"), num_envs=3)
    reason = actor.expect("shutdown").shutdown.reason
    assert "3 environments" in reason and "have 4" in reason, reason


def test_a_hello_from_an_id_outside_the_run_is_shut_down(peer):
    stranger = peer("actor-7")
    stranger.say("hello")
    assert "not an actor of this run" in stranger.expect("shutdown").shutdown.reason


def test_a_frame_of_another_schema_version_is_refused(peer):
    actor = peer()
    frame = actor.frame("heartbeat", weights_version=0)
    frame.envelope.schema_version = 0
    actor.control.send(frame.SerializeToString())
    refusal = actor.expect("refusal").refusal
    assert refusal.reason == "unsupported_schema_version" and refusal.count == 1, refusal


def test_a_control_message_of_two_parts_is_refused(peer):
    actor = peer()
    actor.control.send_multipart([b"", actor.frame("heartbeat").SerializeToString()])
    refusal = actor.expect("refusal").refusal
    assert refusal.reason == "malformed", refusal


def test_an_inconsistent_batch_is_counted_under_its_sender_and_refused_to_it(peer):
    actor = peer()
    actor.say("hello")
    actor.expect("welcome")
    frame = actor.frame("trajectory_batch", policy_version=0, num_steps=128, num_envs=4)
    batch = frame.trajectory_batch
    wire.fill_tensor(batch.observations, np.zeros((128, 4, 4), dtype=np.float32))
    wire.fill_tensor(batch.actions, np.zeros((128, 4), dtype=np.int64))
    wire.fill_tensor(batch.rewards, np.ones((128, 4), dtype=np.float32))
    wire.fill_tensor(batch.terminated, np.zeros((128, 4), dtype=bool))
    wire.fill_tensor(batch.truncated, np.zeros((128, 4), dtype=bool))
    wire.fill_tensor(batch.behaviour_log_probs, np.full((128, 4), -0.69, dtype=np.float32))
    wire.fill_tensor(batch.final_observation_steps, np.array([5], dtype=np.int64))  # step 5 was not truncated
    wire.fill_tensor(batch.final_observations, np.zeros((1, 4), dtype=np.float32))
    wire.fill_tensor(batch.next_observations, np.zeros((4, 4), dtype=np.float32))
    actor.batches.send(frame.SerializeToString())
    refusal = actor.expect("refusal").refusal
    assert refusal.reason == "inconsistent" and "not truncated" in refusal.detail, refusal

    operator = peer("operator")
    operator.say("status_request")
    status = json.loads(operator.expect("status").status.json)
    assert status["rejected_by_sender"]["actor-0"]["inconsistent"] == 1, status["rejected_by_sender"]


def test_a_refusal_names_the_refused_frames_sequence(peer):
    actor = peer()
    actor.say("hello")  # sequence 0
    actor.expect("welcome")
    frame = actor.frame("trajectory_batch", policy_version=99, num_steps=1, num_envs=1)  # sequence 1
    batch = frame.trajectory_batch
    for field, array in [("observations", np.zeros((1, 1, 4), np.float32)), ("actions", np.zeros((1, 1), np.int64)),
                         ("rewards", np.ones((1, 1), np.float32)), ("terminated", np.zeros((1, 1), bool)),
                         ("truncated", np.zeros((1, 1), bool)), ("behaviour_log_probs", np.zeros((1, 1), np.float32)),
                         ("next_observations", np.zeros((1, 4), np.float32))]:
        wire.fill_tensor(getattr(batch, field), array)
    actor.batches.send(frame.SerializeToString())
    refusal = actor.expect("refusal").refusal
    assert refusal.reason == "future_policy_version", refusal
    assert refusal.sequence == frame.envelope.sequence == 1, refusal


def test_the_python_actor_exits_1_when_refused(learner, tmp_path):
    directory, _ = learner
    runs = [python_actor(directory, "--id", "actor-0", "--env-id", "Acrobot-v1", "--num-envs", "4",
                         log_path=tmp_path / "declared.log"),
            python_actor(directory, "--id", "actor-9", log_path=tmp_path / "stranger.log")]
    for process in runs:
        process.wait(timeout=30)
    declared, stranger = (tmp_path / "declared.log").read_text(), (tmp_path / "stranger.log").read_text()
    assert runs[0].returncode == 1 and "the learner refused it: spec hash" in declared, declared
    assert runs[1].returncode == 1 and "not an actor of this run" in stranger, stranger


def test_the_python_actor_gives_up_on_a_silent_learner(tmp_path):
    directory = ipc_directory()
    try:
        started = time.monotonic()
        process = python_actor(directory, "--id", "actor-0", "--learner-timeout", "1", log_path=tmp_path / "silent.log")
        process.wait(timeout=20)
        output = (tmp_path / "silent.log").read_text()
        assert process.returncode == 1 and "nothing from the learner" in output, output
        assert time.monotonic() - started < 10
    finally:
        shutil.rmtree(directory, ignore_errors=True)
