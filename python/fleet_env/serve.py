"""``python -m fleet_env serve``: an environment worker of Fleet's environment protocol.

The worker binds a ZeroMQ REP socket and steps N copies of one environment for one actor (REQ):
``EnvSpecRequest`` is answered with ``EnvSpec``, ``EnvReset`` and ``EnvStep`` with ``EnvState``
(same-step autoreset, see ``fleet_env.vector``), ``Shutdown`` with ``Shutdown`` before exiting 0.
Every request gets exactly one answer. When anything fails (a malformed frame, actions of the
wrong shape or dtype, an exception in the environment, or the environment cannot be made at
all) the answer is ``Shutdown`` with a one-line reason, printed to stderr too, and the worker
exits 1.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

import numpy as np
import zmq
from gymnasium import spaces

from . import fleet_pb2 as pb
from . import wire
from .parent import alive as _alive
from .parent import signal_with_parent
from .vector import SameStepVector, StepResult, VectorSpec

POLL_MILLISECONDS = 1000  # how often the worker looks whether its parent is still there
FINAL_LINGER_MILLISECONDS = 2000  # how long the last answer may take to leave before exit


def main(argv) -> int:
    """Serves until ``Shutdown`` (exit 0), a failure (exit 1), or the parent process is gone
    (exit 0)."""
    args = _parser().parse_args(argv)
    if args.parent_pid is not None:
        signal_with_parent(args.parent_pid)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))

    context = zmq.Context()
    socket = context.socket(zmq.REP)
    socket.setsockopt(zmq.LINGER, 0)
    vector = None
    try:
        try:
            socket.bind(args.endpoint)
        except zmq.ZMQError as error:
            print(f"fleet_env: cannot bind {args.endpoint}: {error}", file=sys.stderr, flush=True)
            return 1
        sender = wire.Sender(args.worker_id, incarnation=time.time_ns() // 1_000_000)
        try:
            vector = _make_vector(args)
            spec_message = _spec_message(vector.spec)
        except Exception as error:
            failure = _reason(args.env_id, "cannot make the environment", error)
            print(f"fleet_env: {failure}", file=sys.stderr, flush=True)
            return _answer_first_request_with(socket, sender, failure, args.parent_pid)
        print(f"fleet_env: serving {args.num_envs} x {args.env_id} on {args.endpoint}", file=sys.stderr, flush=True)
        return _serve(socket, sender, vector, spec_message, args)
    finally:
        if vector is not None:
            _close_quietly(vector)
        socket.close()
        context.term()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fleet_env serve",
        description="Serve N copies of a Gymnasium environment to a Fleet actor (ZeroMQ REP, same-step autoreset).")
    parser.add_argument("--endpoint", required=True, help="ZeroMQ endpoint to bind, e.g. ipc:///tmp/env.sock or tcp://127.0.0.1:5555")
    parser.add_argument("--env-id", required=True, help="gymnasium:ID (a registered environment) or module:callable")
    parser.add_argument("--num-envs", type=int, required=True, help="copies of the environment (N)")
    parser.add_argument("--env-kwargs", default="{}", help="keyword arguments for the environment, a JSON object")
    parser.add_argument("--worker-id", default="env-worker-0", help="the sender id of this worker's envelopes")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    return parser


def _make_vector(args) -> SameStepVector:
    try:
        kwargs = json.loads(args.env_kwargs)
    except json.JSONDecodeError as error:
        raise ValueError(f"--env-kwargs is not JSON: {error}") from error
    if not isinstance(kwargs, dict):
        raise ValueError(f"--env-kwargs must be a JSON object, got {args.env_kwargs}")
    return SameStepVector(args.env_id, args.num_envs, kwargs)


def _serve(socket, sender: wire.Sender, vector: SameStepVector, spec_message: pb.EnvSpec, args) -> int:
    """Answers requests one by one until shutdown, a failure, or the parent's end."""
    while _next_request_arrives(socket, args.parent_pid):
        data = socket.recv()
        kind = "request"
        try:
            frame = wire.decode(data)
            kind = frame.WhichOneof("payload")
            if kind == "shutdown":
                _send_last(socket, _shutdown_frame(sender, "shutdown requested"))
                return 0
            answer = _answer(sender, vector, spec_message, frame)
        except Exception as error:
            failure = _reason(args.env_id, f"cannot answer {kind}", error)
            print(f"fleet_env: {failure}", file=sys.stderr, flush=True)
            _send_last(socket, _shutdown_frame(sender, failure))
            return 1
        socket.send(answer.SerializeToString())
    return 0


def _answer_first_request_with(socket, sender: wire.Sender, failure: str, parent_pid: int | None) -> int:
    """Waits for one request and answers it with ``Shutdown(failure)``: the actor hears why."""
    if _next_request_arrives(socket, parent_pid):
        socket.recv()
        _send_last(socket, _shutdown_frame(sender, failure))
    return 1


def _next_request_arrives(socket, parent_pid: int | None) -> bool:
    """Waits for a request; False when the parent process is gone first. The parent is looked at
    only when no request came for a poll interval: requests come from the parent."""
    while True:
        if socket.poll(POLL_MILLISECONDS, zmq.POLLIN):
            return True
        if parent_pid is not None and not _alive(parent_pid):
            print(f"fleet_env: parent process {parent_pid} is gone, stopping", file=sys.stderr, flush=True)
            return False


def _answer(sender: wire.Sender, vector: SameStepVector, spec_message: pb.EnvSpec, frame: pb.Frame) -> pb.Frame:
    kind = frame.WhichOneof("payload")
    answer = sender.frame()
    if kind == "env_spec_request":
        answer.env_spec.CopyFrom(spec_message)
    elif kind == "env_reset":
        seed = frame.env_reset.seed if frame.env_reset.seeded else None
        _fill_state(answer.env_state, _reset_result(vector.reset(seed)))
    elif kind == "env_step":
        _fill_state(answer.env_state, vector.step(_actions(vector, frame.env_step.actions)))
    else:
        raise wire.WireError(
            f"unexpected {kind} (an environment worker answers env_spec_request, env_reset, env_step and shutdown)")
    return answer


def _actions(vector: SameStepVector, tensor: pb.Tensor) -> np.ndarray:
    """The actions of an ``EnvStep``: ``[N]`` int64 for Discrete, ``[N, act...]`` float32 for Box."""
    actions = wire.to_numpy(tensor)
    if isinstance(vector.action_space, spaces.Discrete):
        expected_shape, expected_dtype = (vector.num_envs,), np.dtype(np.int64)
    else:
        expected_shape, expected_dtype = (vector.num_envs, *vector.action_space.shape), np.dtype(np.float32)
    if actions.shape != expected_shape or actions.dtype != expected_dtype:
        raise wire.WireError(
            f"actions of shape {list(actions.shape)} {actions.dtype}, expected {list(expected_shape)} {expected_dtype}")
    return actions


def _spec_message(spec: VectorSpec) -> pb.EnvSpec:
    message = pb.EnvSpec(env_id=spec.env_id, num_envs=spec.num_envs, max_episode_steps=spec.max_episode_steps)
    wire.fill_space(message.observation_space, spec.observation_space)
    wire.fill_space(message.action_space, spec.action_space)
    if spec.reward_threshold is not None:
        message.reward_threshold = spec.reward_threshold
        message.has_reward_threshold = True
    return message


def _reset_result(observations: np.ndarray) -> StepResult:
    """The state after a reset: observations, zero rewards, no flags, no ended episodes."""
    count = observations.shape[0]
    return StepResult(
        observations=observations,
        rewards=np.zeros(count, dtype=np.float64),
        terminated=np.zeros(count, dtype=bool),
        truncated=np.zeros(count, dtype=bool),
        final_envs=np.zeros(0, dtype=np.int64),
        final_observations=np.zeros((0, *observations.shape[1:]), dtype=observations.dtype),
        episode_returns=np.zeros(0, dtype=np.float64),
        episode_lengths=np.zeros(0, dtype=np.int64),
    )


def _fill_state(message: pb.EnvState, result: StepResult) -> None:
    # Pixels (uint8) travel as they are; everything else as float32.
    dtype = np.uint8 if result.observations.dtype == np.uint8 else np.float32
    wire.fill_tensor(message.observations, result.observations.astype(dtype, copy=False))
    wire.fill_tensor(message.rewards, result.rewards.astype(np.float64, copy=False))
    wire.fill_tensor(message.terminated, result.terminated.astype(bool, copy=False))
    wire.fill_tensor(message.truncated, result.truncated.astype(bool, copy=False))
    wire.fill_tensor(message.final_observation_envs, result.final_envs.astype(np.int64, copy=False))
    wire.fill_tensor(message.final_observations, result.final_observations.astype(dtype, copy=False))
    wire.fill_tensor(message.episode_returns, result.episode_returns.astype(np.float64, copy=False))
    wire.fill_tensor(message.episode_lengths, result.episode_lengths.astype(np.int64, copy=False))


def _shutdown_frame(sender: wire.Sender, reason: str) -> pb.Frame:
    frame = sender.frame()
    frame.shutdown.reason = reason
    return frame


def _send_last(socket, frame: pb.Frame) -> None:
    """Sends the worker's last answer and lets the socket's close wait (boundedly) for it to
    leave: with LINGER 0 a close right after the send could drop it."""
    socket.setsockopt(zmq.LINGER, FINAL_LINGER_MILLISECONDS)
    socket.send(frame.SerializeToString())


def _reason(env_id: str, what: str, error: BaseException) -> str:
    """``ENV_ID: WHAT: ErrorType: message`` on one line."""
    message = " ".join(str(error).split())
    return f"{env_id}: {what}: {type(error).__name__}: {message}" if message else f"{env_id}: {what}: {type(error).__name__}"


def _close_quietly(vector: SameStepVector) -> None:
    try:
        vector.close()
    except Exception as error:
        print(f"fleet_env: closing the environments: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
