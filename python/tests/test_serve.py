"""``python -m fleet_env serve`` as a real process, spoken to over a ZeroMQ REQ socket."""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import zmq

from fleet_env import fleet_pb2 as pb
from fleet_env import wire
from fleet_env.vector import SameStepVector

from served_process import ServedProcess
TIMEOUT_MILLISECONDS = 10_000


class Worker(ServedProcess):
    """A worker process and a REQ socket connected to it."""

    def __init__(self, directory, env_id, num_envs, kwargs=None, extra=()):
        endpoint = f"ipc://{directory}/env.sock"
        super().__init__(
            ["serve", "--endpoint", endpoint, "--env-id", env_id, "--num-envs", str(num_envs),
             "--env-kwargs", json.dumps(kwargs or {}), *extra],
            endpoint, zmq.REQ)
        self.socket.setsockopt(zmq.RCVTIMEO, TIMEOUT_MILLISECONDS)
        self.socket.connect(self.endpoint)
        self.sender = wire.Sender("test-actor", incarnation=1)

    def ask(self, fill=None, raw=None) -> pb.Frame:
        """Sends a frame (``fill`` sets its payload) or raw bytes, and returns the decoded answer."""
        if raw is None:
            frame = self.sender.frame()
            fill(frame)
            raw = frame.SerializeToString()
        self.socket.send(raw)
        return wire.decode(self.socket.recv())

    def finish(self, timeout=5.0):
        return super().finish(timeout)


@pytest.fixture
def start_worker():
    """Starts workers on ipc endpoints in a short temporary directory (ipc paths are limited to
    about 100 characters), and kills any left running at the end."""
    workers = []
    with tempfile.TemporaryDirectory(prefix="fleet-serve-") as directory:
        def start(env_id, num_envs=2, kwargs=None, extra=()):
            path = Path(directory) / str(len(workers))
            path.mkdir()
            workers.append(Worker(path, env_id, num_envs, kwargs, extra))
            return workers[-1]
        yield start
        for worker in workers:
            worker.close()


def spec_request(frame):
    frame.env_spec_request.SetInParent()


def reset(seed=None):
    def fill(frame):
        frame.env_reset.seeded = seed is not None
        frame.env_reset.seed = seed or 0
    return fill


def step(actions):
    return lambda frame: wire.fill_tensor(frame.env_step.actions, actions)


def shutdown(frame):
    frame.shutdown.reason = "done"


def tensor_layout(tensor):
    array = wire.to_numpy(tensor)
    return array.dtype, array.shape


def check_state_layout(state, num_envs, observation_shape, ended, observation_dtype=np.float32):
    assert tensor_layout(state.observations) == (observation_dtype, (num_envs, *observation_shape))
    assert tensor_layout(state.rewards) == (np.float64, (num_envs,))
    assert tensor_layout(state.terminated) == (bool, (num_envs,))
    assert tensor_layout(state.truncated) == (bool, (num_envs,))
    assert tensor_layout(state.final_observation_envs) == (np.int64, (ended,))
    assert tensor_layout(state.final_observations) == (observation_dtype, (ended, *observation_shape))
    assert tensor_layout(state.episode_returns) == (np.float64, (ended,))
    assert tensor_layout(state.episode_lengths) == (np.int64, (ended,))


def test_spec_reset_step_shutdown(start_worker):
    worker = start_worker("gymnasium:CartPole-v1", num_envs=3, kwargs={"max_episode_steps": 20},
                          extra=("--worker-id", "env-worker-7"))
    answer = worker.ask(spec_request)
    spec = answer.env_spec
    assert (answer.envelope.sender_id, answer.envelope.sequence) == ("env-worker-7", 0)
    assert answer.envelope.incarnation > 1_600_000_000_000  # milliseconds since 1970
    assert (spec.env_id, spec.num_envs, spec.max_episode_steps) == ("gymnasium:CartPole-v1", 3, 20)
    assert (spec.has_reward_threshold, spec.reward_threshold) == (True, 475.0)
    assert (spec.action_space.discrete, list(spec.observation_space.shape)) == (2, [4])
    assert wire.space_from(spec.observation_space) == SameStepVector("gymnasium:CartPole-v1", 1).observation_space

    reference = SameStepVector("gymnasium:CartPole-v1", 3, {"max_episode_steps": 20})
    answer = worker.ask(reset(seed=5))
    assert answer.envelope.sequence == 1
    state = answer.env_state
    check_state_layout(state, 3, (4,), ended=0)
    np.testing.assert_array_equal(wire.to_numpy(state.observations), reference.reset(5))
    assert not wire.to_numpy(state.rewards).any() and not wire.to_numpy(state.terminated).any()

    generator = np.random.default_rng(0)
    ended_total = 0
    for _ in range(60):
        actions = generator.integers(0, 2, size=3).astype(np.int64)
        state = worker.ask(step(actions)).env_state
        expected = reference.step(actions)
        check_state_layout(state, 3, (4,), ended=len(expected.final_envs))
        np.testing.assert_array_equal(wire.to_numpy(state.observations), expected.observations)
        np.testing.assert_array_equal(wire.to_numpy(state.rewards), expected.rewards)
        np.testing.assert_array_equal(wire.to_numpy(state.terminated), expected.terminated)
        np.testing.assert_array_equal(wire.to_numpy(state.truncated), expected.truncated)
        np.testing.assert_array_equal(wire.to_numpy(state.final_observation_envs), expected.final_envs)
        np.testing.assert_array_equal(wire.to_numpy(state.final_observations), expected.final_observations)
        np.testing.assert_array_equal(wire.to_numpy(state.episode_returns), expected.episode_returns)
        np.testing.assert_array_equal(wire.to_numpy(state.episode_lengths), expected.episode_lengths)
        ended_total += len(expected.final_envs)
    assert ended_total > 3

    state = worker.ask(reset()).env_state  # unseeded: continues each copy's stream
    np.testing.assert_array_equal(wire.to_numpy(state.observations), reference.reset(None))

    answer = worker.ask(shutdown)
    assert answer.WhichOneof("payload") == "shutdown"
    code, stderr = worker.finish()
    assert code == 0, stderr
    assert "fleet_env: serving 3 x gymnasium:CartPole-v1 on ipc://" in stderr


def test_box_actions_and_ended_episodes(start_worker):
    worker = start_worker("toy_envs:make_counter", num_envs=2, kwargs={"length": 2, "reward": 0.5})
    spec = worker.ask(spec_request).env_spec
    assert (spec.has_reward_threshold, spec.max_episode_steps) == (False, 0)
    assert (spec.action_space.discrete, list(spec.action_space.shape)) == (0, [2])
    np.testing.assert_array_equal(wire.to_numpy(spec.action_space.low), np.float32([-1, -1]))
    np.testing.assert_array_equal(wire.to_numpy(spec.action_space.high), np.float32([1, 1]))

    worker.ask(reset(seed=0))
    state = worker.ask(step(np.float32([[3, 0], [-0.5, 0]]))).env_state
    check_state_layout(state, 2, (2,), ended=0)
    np.testing.assert_array_equal(wire.to_numpy(state.observations), np.float32([[1, 1], [1, -0.5]]))  # clipped

    state = worker.ask(step(np.float32([[0.25, 0], [0.75, 0]]))).env_state
    check_state_layout(state, 2, (2,), ended=2)
    np.testing.assert_array_equal(wire.to_numpy(state.terminated), [True, True])
    np.testing.assert_array_equal(wire.to_numpy(state.final_observation_envs), [0, 1])
    np.testing.assert_array_equal(wire.to_numpy(state.final_observations), np.float32([[2, 0.25], [2, 0.75]]))
    np.testing.assert_array_equal(wire.to_numpy(state.episode_returns), [1.0, 1.0])
    np.testing.assert_array_equal(wire.to_numpy(state.episode_lengths), [2, 2])
    np.testing.assert_array_equal(wire.to_numpy(state.observations), np.zeros((2, 2), dtype=np.float32))

    assert worker.ask(shutdown).WhichOneof("payload") == "shutdown"
    assert worker.finish()[0] == 0


def test_pixels_travel_as_uint8(start_worker):
    worker = start_worker("toy_envs:Pixels", num_envs=2, kwargs={"length": 2})
    spec = worker.ask(spec_request).env_spec
    assert list(spec.observation_space.shape) == [1, 2, 3]
    assert tensor_layout(spec.observation_space.low) == (np.uint8, (1, 2, 3))
    assert tensor_layout(spec.observation_space.high) == (np.uint8, (1, 2, 3))
    space = wire.space_from(spec.observation_space)
    assert space.dtype == np.uint8 and int(space.high.max()) == 255

    state = worker.ask(reset(seed=0)).env_state
    check_state_layout(state, 2, (1, 2, 3), ended=0, observation_dtype=np.uint8)
    state = worker.ask(step(np.int64([0, 2]))).env_state
    check_state_layout(state, 2, (1, 2, 3), ended=0, observation_dtype=np.uint8)
    np.testing.assert_array_equal(wire.to_numpy(state.observations)[:, 0, 0, 0], [40, 50])
    state = worker.ask(step(np.int64([1, 1]))).env_state
    check_state_layout(state, 2, (1, 2, 3), ended=2, observation_dtype=np.uint8)
    np.testing.assert_array_equal(wire.to_numpy(state.final_observations)[:, 0, 0, 0], [85, 85])
    np.testing.assert_array_equal(wire.to_numpy(state.observations), np.zeros((2, 1, 2, 3), dtype=np.uint8))
    assert worker.ask(shutdown).WhichOneof("payload") == "shutdown"
    assert worker.finish()[0] == 0


def test_environment_raising_in_step_is_told(start_worker):
    worker = start_worker("toy_envs:make_counter", num_envs=2, kwargs={"length": 5, "fail_at_step": 2})
    worker.ask(reset(seed=0))
    worker.ask(step(np.zeros((2, 2), dtype=np.float32)))
    answer = worker.ask(step(np.zeros((2, 2), dtype=np.float32)))
    reason = answer.shutdown.reason
    assert answer.WhichOneof("payload") == "shutdown"
    assert "toy_envs:make_counter" in reason and "RuntimeError: counter broke at step 2" in reason
    assert "\n" not in reason
    code, stderr = worker.finish()
    assert code == 1
    assert reason in stderr


def test_unknown_env_id_is_told_in_the_first_answer(start_worker):
    worker = start_worker("gymnasium:NoSuchEnv-v0")
    answer = worker.ask(spec_request)
    assert answer.WhichOneof("payload") == "shutdown"
    assert "gymnasium:NoSuchEnv-v0: cannot make the environment" in answer.shutdown.reason
    assert "NoSuchEnv" in answer.shutdown.reason.partition("environment:")[2]
    code, stderr = worker.finish()
    assert code == 1
    assert answer.shutdown.reason in stderr


def hello(frame):
    frame.hello.num_envs = 2


@pytest.mark.parametrize("request_, reason", [
    (dict(raw=b"\xff not a frame"), "cannot answer request: WireError: not a fleet.v1.Frame"),
    (dict(fill=step(np.float32([0, 1]))), "cannot answer env_step: WireError: actions of shape [2] float32, expected [2] int64"),
    (dict(fill=step(np.int64([0, 1, 1]))), "expected [2] int64"),
    (dict(fill=step(np.int64([0, 2]))), "cannot answer env_step: ValueError: action 2 is outside Discrete(2)"),
    (dict(fill=hello), "cannot answer hello: WireError: unexpected hello"),
], ids=["bytes", "dtype", "shape", "range", "payload"])
def test_bad_requests_are_answered_with_shutdown(start_worker, request_, reason):
    worker = start_worker("gymnasium:CartPole-v1")
    worker.ask(reset(seed=0))
    answer = worker.ask(**request_)
    assert answer.WhichOneof("payload") == "shutdown"
    assert reason in answer.shutdown.reason
    assert worker.finish()[0] == 1


def test_worker_exits_when_its_parent_is_gone(start_worker):
    parent = subprocess.Popen(["sleep", "60"])
    try:
        worker = start_worker("gymnasium:CartPole-v1", extra=("--parent-pid", str(parent.pid)))
        assert worker.ask(spec_request).WhichOneof("payload") == "env_spec"  # serving
    finally:
        parent.kill()
        parent.wait()
    gone = time.monotonic()
    code, stderr = worker.finish(timeout=5)
    assert time.monotonic() - gone < 2.5
    assert code == 0
    assert f"parent process {parent.pid} is gone" in stderr
