"""``python -m fleet_env actor``: a reference actor of Fleet's wire protocol, in Python.

It joins a running ``fleet learner`` of a PPO run the way Fleet's own actor does
(``docs/protocol.md``, "The actor's side, step by step") and ships it trajectory batches of
Gymnasium environments acted on with the learner's policy. Nothing here comes from Fleet's Swift
code: the run's shape arrives in ``Welcome``, the policy in ``Weights``.

1. **Connect**: SUB to the weights channel first, then a DEALER to the control channel with
   routing id = the actor id, then PUSH to the batches channel.
2. **Hello** (empty spec hash and no width: take the run's shape from the Welcome, or a declared
   shape whose hash the learner checks), then ``SnapshotRequest{0}``.
3. **Act** with the newest weights held (``Policy``), on ``SameStepVector`` environments, and send
   each ``TrajectoryBatch`` with the version it was acted with.
4. **Pace**: act only while the held version is at most L behind the newest heard of, and at most
   L of this actor's batches wait at the learner.
5. **Heartbeat** every second and at once after new weights.
6. **Resync**: a snapshot request after 2 s without newer weights (sooner while nothing has come
   on the weights channel yet).
7. **Stop** on ``Shutdown``.

Over tcp the learner requires CURVE, which this actor does not speak: use ipc, or tcp with a
learner started with ``insecure: true``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import signal
import socket as socketlib
import sys
import time
from dataclasses import dataclass

import numpy as np
import zmq
from gymnasium import spaces

from . import fleet_pb2 as pb
from . import wire
from .vector import SameStepVector

# Socket settings of Fleet's actors (docs/protocol.md, "Channels").
PUSH_HIGH_WATER_MARK = 2  # batches: a slow learner makes the actor wait
WEIGHTS_HIGH_WATER_MARK = 4
CONTROL_HIGH_WATER_MARK = 100
MAX_MESSAGE_BYTES = 64 << 20  # weights come on the SUB and on the DEALER (snapshots)
LINGER_MILLISECONDS = 200
CONNECTION_HEARTBEAT_MILLISECONDS = 1000  # ZMTP heartbeats on the control channel
CONNECTION_TIMEOUT_MILLISECONDS = 10_000

# Timing of the actor's side (docs/protocol.md, steps 5 and 6).
HEARTBEAT_SECONDS = 1.0
SNAPSHOT_RETRY_SECONDS = 2.0
JOIN_SNAPSHOT_RETRY_SECONDS = 0.05
BATCH_SEND_RETRY_SECONDS = 0.1


# Channels ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Endpoints:
    """The learner's three endpoints (config keys ``endpoints.batches``, ``.weights``, ``.control``)."""

    batches: str
    weights: str
    control: str

    @classmethod
    def connecting_to(cls, target: str) -> "Endpoints":
        """``fleet actor --connect``'s rule for ``ipc://DIRECTORY``: ``DIRECTORY/batches``,
        ``/weights`` and ``/control``. (``tcp://HOST`` keeps the ports of the config, which this
        actor does not read: give the three endpoints instead.)"""
        if target.startswith("ipc://"):
            directory = target[len("ipc://"):]
            while len(directory) > 1 and directory.endswith("/"):
                directory = directory[:-1]
            if directory:
                return cls(f"ipc://{directory}/batches", f"ipc://{directory}/weights", f"ipc://{directory}/control")
        if target.startswith("tcp://"):
            raise ValueError(f"--connect {target}: tcp ports come from the learner's config; "
                             "give --batches, --weights and --control instead")
        raise ValueError(f"--connect {target}: expected ipc://DIRECTORY")


# The policy --------------------------------------------------------------------------------------

class PolicyError(ValueError):
    """A policy spec this actor cannot run, or weights that do not fit it."""


def spec_hash(text: str) -> bytes:
    """SHA-256 of a spec text: ``Weights.model_spec_hash`` of a policy spec, or, of
    ``"<subject>|<policy spec>"``, ``Hello.spec_hash``."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def ppo_policy_spec(observation_size: int, action_space, hidden_sizes=(64, 64), normalize_observations=False) -> str:
    """The canonical text of Fleet's PPO policy for these sizes (what ``Welcome.policy_spec``
    holds): the actor MLP ``observation_size -> hidden... -> outputs`` with tanh."""
    if isinstance(action_space, spaces.Discrete):
        outputs = int(action_space.n)
        actions = f"actions discrete count={outputs}"
    else:
        outputs = int(np.prod(action_space.shape, dtype=np.int64))
        actions = f"actions gaussian dimension={outputs} logstd=state-independent"
    normalizer = "running-mean-std clip=10" if normalize_observations else "none"
    sizes = [observation_size, *hidden_sizes, outputs]
    lines = ["fleet-ppo-policy 1", actions, f"observation size={observation_size} normalizer={normalizer}",
             "fleet-module-spec 1", f"mlp sizes={','.join(map(str, sizes))} activation=tanh"]
    for i in range(len(sizes) - 1):
        lines += [f"param {2 * i}.weight {sizes[i + 1]}x{sizes[i]}", f"param {2 * i}.bias {sizes[i + 1]}"]
    return "".join(line + "\n" for line in lines)


class Policy:
    """Fleet's PPO policy, from its spec text: an MLP (``Linear``, activation, ..., ``Linear``)
    giving categorical logits or Gaussian means (with a state-independent ``actor_logstd``), on
    observations normalized by ``obs_rms`` when the spec says so. Weights are numpy float32."""

    def __init__(self, spec: str):
        self.spec = spec
        self.hash = spec_hash(spec)
        lines = spec.split("\n")
        if lines[-1] != "" or lines[0] != "fleet-ppo-policy 1":
            raise PolicyError("not a fleet-ppo-policy 1 spec (every line ends in a newline)")
        lines = lines[1:-1]
        if len(lines) < 4 or lines[2] != "fleet-module-spec 1":
            raise PolicyError(f"unexpected policy spec layout: {spec!r}")
        actions, observation, mlp, params = _fields(lines[0]), _fields(lines[1]), _fields(lines[3]), lines[4:]
        if actions.get("") == "actions discrete":
            self.discrete, self.action_size = True, int(actions["count"])
        elif actions.get("") == "actions gaussian" and actions.get("logstd") == "state-independent":
            self.discrete, self.action_size = False, int(actions["dimension"])
        else:
            raise PolicyError(f"unknown action kind: {lines[0]!r}")
        if observation.get("") != "observation":
            raise PolicyError(f"expected an observation line, found {lines[1]!r}")
        self.observation_size = int(observation["size"])
        if observation["normalizer"] == "none":
            self.clip = None
        elif observation["normalizer"] == "running-mean-std":
            self.clip = np.float32(observation["clip"])
        else:
            raise PolicyError(f"unknown normalizer: {lines[1]!r}")
        if mlp.get("") != "mlp" or mlp.get("activation") not in ("tanh", "relu"):
            raise PolicyError(f"expected an mlp line with activation tanh or relu, found {lines[3]!r}")
        self.sizes = [int(size) for size in mlp["sizes"].split(",")]
        self.activation = np.tanh if mlp["activation"] == "tanh" else (lambda h: np.maximum(h, np.float32(0)))
        if self.sizes[0] != self.observation_size or self.sizes[-1] != self.action_size:
            raise PolicyError(f"mlp sizes {self.sizes} do not fit {self.observation_size} observations "
                              f"and {self.action_size} outputs")
        # The tensors Weights must hold: the actor MLP's layers as "actor.<param>", then the rest.
        expected = []
        for i in range(len(self.sizes) - 1):
            expected += [(f"{2 * i}.weight", (self.sizes[i + 1], self.sizes[i])), (f"{2 * i}.bias", (self.sizes[i + 1],))]
        listed = [(line.split(" ")[1], _shape(line.split(" ")[2])) for line in params if line.startswith("param ")]
        if listed != expected or len(params) != len(expected):
            raise PolicyError(f"the spec's parameters {listed} are not those of mlp sizes={self.sizes}")
        self.shapes = {f"actor.{name}": shape for name, shape in expected}
        if not self.discrete:
            self.shapes["actor_logstd"] = (self.action_size,)
        if self.clip is not None:
            size = self.observation_size
            self.shapes.update({"obs_rms.mean": (size,), "obs_rms.var": (size,), "obs_rms.count": (1,)})
        self.tensors: dict[str, np.ndarray] | None = None
        self.version: int | None = None

    def load(self, weights: pb.Weights) -> None:
        """Takes ``weights`` after checking them: the spec's hash, exactly the expected names,
        float32 tensors of the expected shapes, all finite. On error nothing changes."""
        if bytes(weights.model_spec_hash) != self.hash:
            raise PolicyError(f"weights v{weights.version} are of model spec {bytes(weights.model_spec_hash).hex()[:12]}, "
                              f"this policy's is {self.hash.hex()[:12]}")
        tensors = {}
        for named in weights.tensors:
            if named.name not in self.shapes or named.name in tensors:
                raise PolicyError(f"weights v{weights.version}: unexpected tensor {named.name!r}")
            if named.tensor.dtype != pb.DTYPE_FLOAT32:
                raise PolicyError(f"weights v{weights.version}: {named.name} is not float32")
            array = wire.to_numpy(named.tensor)
            if array.shape != self.shapes[named.name]:
                raise PolicyError(f"weights v{weights.version}: {named.name} has shape {list(array.shape)}, "
                                  f"expected {list(self.shapes[named.name])}")
            if not np.isfinite(array).all():
                raise PolicyError(f"weights v{weights.version}: {named.name} is not finite")
            tensors[named.name] = array
        missing = sorted(set(self.shapes) - set(tensors))
        if missing:
            raise PolicyError(f"weights v{weights.version}: missing {', '.join(missing)}")
        self.tensors, self.version = tensors, int(weights.version)

    def normalized(self, observations: np.ndarray) -> np.ndarray:
        """``(x - mean) / sqrt(var + 1e-8)`` clipped to the spec's clip, as Fleet's actor does
        (the scale computed in float64, rounded to float32); unchanged without a normalizer. Batches
        carry the raw observations; the learner normalizes them itself."""
        x = np.asarray(observations, dtype=np.float32)
        if self.clip is None:
            return x
        scale = (1.0 / np.sqrt(self.tensors["obs_rms.var"].astype(np.float64) + 1e-8)).astype(np.float32)
        return np.clip((x - self.tensors["obs_rms.mean"]) * scale, -self.clip, self.clip)

    def outputs(self, observations: np.ndarray) -> np.ndarray:
        """The MLP's outputs ``[B, outputs]`` (logits or Gaussian means) for raw observations ``[B, obs]``."""
        h = self.normalized(observations)
        layers = (len(self.sizes) - 1)
        for i in range(layers):
            h = h @ self.tensors[f"actor.{2 * i}.weight"].T + self.tensors[f"actor.{2 * i}.bias"]
            if i < layers - 1:
                h = self.activation(h)
        return h.astype(np.float32, copy=False)

    def act(self, observations: np.ndarray, rng: np.random.Generator):
        """Samples one action per row of raw ``observations [B, obs]``; returns the actions
        (int64 ``[B]``, or float32 ``[B, A]`` unclipped) and their float32 log-probabilities."""
        output = self.outputs(observations)
        if self.discrete:
            log_probs = _log_softmax(output)
            actions = _sample_by_inversion(log_probs, rng.random(len(output)))
            return actions, log_probs[np.arange(len(output)), actions]
        log_std = self.tensors["actor_logstd"]
        actions = (output + np.exp(log_std) * rng.standard_normal(output.shape).astype(np.float32)).astype(np.float32)
        return actions, self.gaussian_log_probs(output, actions)

    def log_probs(self, observations: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """``log pi(action | observation)`` per row, float32 ``[B]``."""
        output = self.outputs(observations)
        if self.discrete:
            actions = np.asarray(actions, dtype=np.int64)
            return _log_softmax(output)[np.arange(len(output)), actions]
        return self.gaussian_log_probs(output, np.asarray(actions, dtype=np.float32))

    def gaussian_log_probs(self, means: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """``sum_j -(a - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2`` per row."""
        log_std = self.tensors["actor_logstd"]
        z = (actions - means) / np.exp(log_std)
        half_log_two_pi = np.float32(0.5 * math.log(2 * math.pi))
        return ((z * z * np.float32(-0.5) - log_std).sum(axis=1, dtype=np.float32)
                - np.float32(self.action_size) * half_log_two_pi).astype(np.float32)


def _fields(line: str) -> dict:
    """``"actions discrete count=2"`` as ``{"": "actions discrete", "count": "2"}``."""
    words, fields = [], {}
    for word in line.split(" "):
        if "=" in word:
            key, _, value = word.partition("=")
            fields[key] = value
        else:
            words.append(word)
    fields[""] = " ".join(words)
    return fields


def _shape(text: str) -> tuple:
    return () if text == "scalar" else tuple(int(extent) for extent in text.split("x"))


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))).astype(np.float32)


def _sample_by_inversion(log_probs: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Per row, the first action whose cumulative probability (in float64) exceeds the uniform
    draw, as Fleet's ``Categorical.sample``; the last possible action if rounding leaves none."""
    probabilities = np.exp(log_probs).astype(np.float64)
    cumulative = np.cumsum(probabilities, axis=1)
    above = cumulative > uniforms[:, None]
    last_possible = probabilities.shape[1] - 1 - np.argmax((probabilities > 0)[:, ::-1], axis=1)
    return np.where(above.any(axis=1), np.argmax(above, axis=1), last_possible).astype(np.int64)


# The actor ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeclaredShape:
    """What the actor tells the learner in ``Hello`` instead of adopting the run's shape: the
    environment id (the run's subject), the policy spec, and its environments per batch. The
    learner refuses the actor (``Shutdown``) when they differ from its run's."""

    subject: str
    policy_spec: str
    num_envs: int

    @property
    def spec_hash(self) -> bytes:
        return spec_hash(f"{self.subject}|{self.policy_spec}")


class Refused(Exception):
    """The learner answered the Hello with ``Shutdown``: not an actor of the run, or not of its shape."""


class LearnerSilent(Exception):
    """Nothing came from the learner for ``learner_timeout`` seconds."""


class ActorFailure(Exception):
    """The actor cannot take part in the run (a Welcome it cannot act on, environments it cannot make)."""


def environment_of(subject: str) -> tuple[str, dict]:
    """The ``make_env`` id and keyword arguments of a run's subject (Welcome.subject).

    A Fleet built-in (``CartPole-v1``, ``Acrobot-v1``, ``MountainCar-v0``, ``Pendulum-v1``) is
    Gymnasium's environment of the same name (Fleet's ``GridWorld-v0`` has none); ``gymnasium:ID``
    and ``module:callable`` are taken as they are, followed, when the run has ``env_kwargs``, by a
    space and the arguments as a JSON object."""
    env_id, _, arguments = subject.partition(" ")
    kwargs = json.loads(arguments) if arguments else {}
    if not isinstance(kwargs, dict):
        raise ValueError(f"subject {subject!r}: the environment's arguments are not a JSON object")
    return (env_id if ":" in env_id else f"gymnasium:{env_id}"), kwargs


class Actor:
    """One actor of a PPO run: ``run()`` joins the learner at ``endpoints`` as ``actor_id`` and
    ships batches until the learner says Shutdown.

    ``seed``: environment copy ``i`` of actor ``actor-I`` is reset with ``seed + I * N + i`` and the
    actions are drawn from a generator seeded ``seed + I`` (Fleet's actors' seeding); None: unseeded.
    ``declared``: say this shape in Hello instead of adopting the run's.
    """

    def __init__(self, endpoints: Endpoints, actor_id: str, *, seed: int | None = 1, learner_timeout: float = 120.0,
                 incarnation: int | None = None, declared: DeclaredShape | None = None, log=None):
        self.endpoints = endpoints
        self.actor_id = actor_id
        self.seed = seed
        self.learner_timeout = learner_timeout
        self.declared = declared
        self.sender = wire.Sender(actor_id, incarnation if incarnation is not None else time.time_ns() // 1_000_000)
        self._log = log or (lambda line: print(f"{actor_id}: {line}", file=sys.stderr, flush=True))

        self.welcome: pb.Welcome | None = None
        self.policy: Policy | None = None
        self.vector: SameStepVector | None = None
        self.held_version: int | None = None  # the weights version the actor acts with
        self.newest_heard_version = 0
        self.batches_waiting = 0  # sent, and not yet accounted for by a new version
        self.batches_sent = 0
        self.episode_returns: list[float] = []
        self.refusals_heard = 0
        self.weights_refused = 0
        self.stop_reason: str | None = None
        self.refusal: str | None = None  # the learner's reason when it refused the Hello

        self._pending_weights: list[tuple[pb.Weights, bool]] = []  # weights that came before the Welcome
        self._weights_channel_works = False
        self._snapshot_retry = JOIN_SNAPSHOT_RETRY_SECONDS
        self._asked_after_full_wait_at: int | None = None
        self._reported_version: int | None = None
        self._last_heartbeat = time.monotonic()
        self._last_heard = time.monotonic()
        self._ever_heard = False
        self._rng = None

    @property
    def index(self) -> int:
        """``I`` of ``actor-I`` (0 for another id)."""
        prefix, _, number = self.actor_id.rpartition("-")
        return int(number) if prefix == "actor" and number.isdigit() else 0

    def run(self) -> str:
        """Runs until ``Shutdown``; returns its reason. Raises ``Refused``, ``LearnerSilent`` or
        ``ActorFailure``."""
        self._context = zmq.Context()
        try:
            self._connect()
            self._say_hello()
            while self.stop_reason is None:
                self._service_channels(timeout=0)
                if self.stop_reason is not None:
                    break
                if not self._may_act:
                    self._wait_for_weights()
                    continue
                self._send(self._collect_batch())
        finally:
            if self.vector is not None:
                self.vector.close()
            self._context.destroy(linger=LINGER_MILLISECONDS)
        if self.refusal is not None:
            raise Refused(self.refusal)
        return self.stop_reason

    # 1. Connect: weights first (so no version is lost to the slow joiner), then control, then batches.
    def _connect(self) -> None:
        self._weights = self._context.socket(zmq.SUB)
        self._weights.setsockopt(zmq.LINGER, LINGER_MILLISECONDS)
        self._weights.setsockopt(zmq.RCVHWM, WEIGHTS_HIGH_WATER_MARK)
        self._weights.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self._weights.setsockopt(zmq.SUBSCRIBE, b"")
        self._weights.connect(self.endpoints.weights)

        self._control = self._context.socket(zmq.DEALER)
        self._control.setsockopt(zmq.LINGER, LINGER_MILLISECONDS)
        self._control.setsockopt(zmq.ROUTING_ID, self.actor_id.encode())
        self._control.setsockopt(zmq.SNDHWM, CONTROL_HIGH_WATER_MARK)
        self._control.setsockopt(zmq.RCVHWM, CONTROL_HIGH_WATER_MARK)
        self._control.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self._control.setsockopt(zmq.HEARTBEAT_IVL, CONNECTION_HEARTBEAT_MILLISECONDS)
        self._control.setsockopt(zmq.HEARTBEAT_TIMEOUT, CONNECTION_TIMEOUT_MILLISECONDS)
        self._control.connect(self.endpoints.control)

        self._batches = self._context.socket(zmq.PUSH)
        self._batches.setsockopt(zmq.LINGER, LINGER_MILLISECONDS)
        self._batches.setsockopt(zmq.SNDHWM, PUSH_HIGH_WATER_MARK)
        self._batches.connect(self.endpoints.batches)

        self._poller = zmq.Poller()
        self._poller.register(self._weights, zmq.POLLIN)
        self._poller.register(self._control, zmq.POLLIN)

    # 2. Hello, then a snapshot request: the Welcome and the first weights come on the control channel.
    def _say_hello(self) -> None:
        def hello(frame):
            frame.hello.host = socketlib.gethostname()
            frame.hello.pid = os.getpid()
            if self.declared is not None:
                frame.hello.spec_hash = self.declared.spec_hash
                frame.hello.num_envs = self.declared.num_envs
            else:
                frame.hello.SetInParent()  # empty spec hash, num_envs 0: adopt the run's shape
        self._send_control(hello)
        self._send_control(lambda frame: setattr(frame.snapshot_request, "have_version", 0))

    def _on_welcome(self, welcome: pb.Welcome) -> None:
        """Takes the run's shape: builds the policy and the environments, seeded."""
        self.welcome = welcome
        self.newest_heard_version = max(self.newest_heard_version, welcome.weights_version)
        if welcome.num_steps == 0 or welcome.num_envs == 0:
            raise ActorFailure(f"the run's subject {welcome.subject!r} is a prompt task: this actor steps environments")
        if bytes(welcome.spec_hash) != spec_hash(f"{welcome.subject}|{welcome.policy_spec}"):
            self._log("warning: Welcome.spec_hash is not SHA-256(subject|policy_spec)")
        try:
            self.policy = Policy(welcome.policy_spec)
        except (PolicyError, KeyError, ValueError) as error:
            raise ActorFailure(f"cannot run the learner's policy: {error}") from error
        try:
            env_id, kwargs = environment_of(welcome.subject)
            self.vector = SameStepVector(env_id, welcome.num_envs, kwargs)
        except Exception as error:
            raise ActorFailure(f"cannot make {welcome.num_envs} x {welcome.subject}: {error}") from error
        self._check_spaces(welcome)
        seed = None if self.seed is None else self.seed + self.index * welcome.num_envs
        self.vector.reset(seed=seed)
        self._rng = np.random.default_rng(None if self.seed is None else self.seed + self.index)
        self._log(f"welcomed by learner incarnation {welcome.learner_incarnation} at v{welcome.weights_version}: "
                  f"{welcome.num_envs} x {welcome.subject}, {welcome.num_steps} steps per batch, "
                  f"max_policy_lag {welcome.max_policy_lag}")
        pending, self._pending_weights = self._pending_weights, []
        for weights, is_snapshot in pending:
            self._on_weights(weights, is_snapshot)

    def _check_spaces(self, welcome: pb.Welcome) -> None:
        observation_size = int(np.prod(self.vector.observation_space.shape, dtype=np.int64))
        expected = tuple(int(d) for d in welcome.observation_space.shape)
        if tuple(self.vector.observation_space.shape) != expected or observation_size != self.policy.observation_size:
            raise ActorFailure(f"{welcome.subject}'s observations here are {self.vector.observation_space.shape}, "
                               f"the learner's {list(expected)}")
        actions = self.vector.action_space
        if isinstance(actions, spaces.Discrete):
            fits = welcome.action_space.discrete == actions.n and self.policy.discrete
        else:
            fits = (welcome.action_space.discrete == 0 and not self.policy.discrete
                    and tuple(welcome.action_space.shape) == tuple(actions.shape))
        if not fits:
            raise ActorFailure(f"{welcome.subject}'s actions here are {actions}, the learner's differ")

    # 3. Act: one batch of T steps of the N environments, with the weights held.
    def _collect_batch(self) -> pb.Frame:
        steps, copies = self.welcome.num_steps, self.welcome.num_envs
        version = self.held_version
        size = self.policy.observation_size
        # Pixels (a uint8 Box) travel as uint8, as a Swift actor sends them; the policy widens them.
        observation_dtype = self.vector.observations.dtype
        observations = np.zeros((steps, copies, size), dtype=observation_dtype)
        actions = (np.zeros((steps, copies), dtype=np.int64) if self.policy.discrete
                   else np.zeros((steps, copies, self.policy.action_size), dtype=np.float32))
        rewards = np.zeros((steps, copies), dtype=np.float32)
        terminated = np.zeros((steps, copies), dtype=bool)
        truncated = np.zeros((steps, copies), dtype=bool)
        log_probs = np.zeros((steps, copies), dtype=np.float32)
        final_steps, final_observations, returns, lengths = [], [], [], []
        for t in range(steps):
            current = self.vector.observations.reshape(copies, size)
            observations[t] = current
            actions[t], log_probs[t] = self.policy.act(current, self._rng)
            result = self.vector.step(actions[t])
            rewards[t], terminated[t], truncated[t] = result.rewards, result.terminated, result.truncated
            ended = {int(copy): k for k, copy in enumerate(result.final_envs)}
            for copy in np.flatnonzero(result.truncated):
                final_steps.append(t * copies + int(copy))
                final_observations.append(result.final_observations[ended[int(copy)]].reshape(size))
            returns += result.episode_returns.tolist()
            lengths += result.episode_lengths.tolist()
            self._heartbeat_if_due()
        self.episode_returns += returns

        frame = self.sender.frame()
        batch = frame.trajectory_batch
        batch.policy_version = version
        batch.num_steps, batch.num_envs = steps, copies
        wire.fill_tensor(batch.observations, observations)
        wire.fill_tensor(batch.actions, actions)
        wire.fill_tensor(batch.rewards, rewards)
        wire.fill_tensor(batch.terminated, terminated)
        wire.fill_tensor(batch.truncated, truncated)
        wire.fill_tensor(batch.behaviour_log_probs, log_probs)
        # Only the truncated steps carry a final observation; a terminated one bootstraps from 0.
        wire.fill_tensor(batch.final_observation_steps, np.array(final_steps, dtype=np.int64))
        wire.fill_tensor(
            batch.final_observations, np.array(final_observations, dtype=observation_dtype).reshape(-1, size))
        wire.fill_tensor(batch.next_observations, self.vector.observations.reshape(copies, size))
        wire.fill_tensor(batch.episode_returns, np.array(returns, dtype=np.float32))
        wire.fill_tensor(batch.episode_lengths, np.array(lengths, dtype=np.int64))
        return frame

    def _send(self, frame: pb.Frame) -> None:
        """Pushes a batch; while the learner's queue is full, services the control channel and retries."""
        data = frame.SerializeToString()
        while True:
            try:
                self._batches.send(data, zmq.NOBLOCK)
                break
            except zmq.Again:
                self._service_channels(timeout=BATCH_SEND_RETRY_SECONDS)
                if self.stop_reason is not None:
                    return
        self.batches_sent += 1
        self.batches_waiting += 1
        self._last_heard = time.monotonic()  # time spent acting is not the learner's silence

    # 4. Pace: the held version at most L behind the newest heard, at most L batches waiting.
    @property
    def _may_act(self) -> bool:
        if self.held_version is None or self.welcome is None:
            return False
        lag = self.welcome.max_policy_lag
        return self.newest_heard_version - min(self.held_version, self.newest_heard_version) <= lag \
            and self.batches_waiting <= lag

    def _on_weights(self, weights: pb.Weights, is_snapshot: bool) -> None:
        """Counts the batches a new version consumed, and takes weights newer than the held ones."""
        if self.policy is None:
            self._pending_weights.append((weights, is_snapshot))
            return
        # 6. A snapshot at the very version held after a full wait: nothing of ours waits at the learner.
        asked = self._asked_after_full_wait_at
        if is_snapshot and asked is not None and weights.version == asked and self.held_version == asked:
            self.batches_waiting = 0
            self._asked_after_full_wait_at = None
        if weights.version > self.newest_heard_version:
            consumed = weights.version - self.newest_heard_version  # each version took one batch of every actor
            self.batches_waiting -= min(self.batches_waiting, consumed)
            self.newest_heard_version = weights.version
        if self.held_version is not None and weights.version <= self.held_version:
            return
        try:
            self.policy.load(weights)
        except PolicyError as error:
            self.weights_refused += 1
            self._log(f"refused weights: {error}")
            return
        self.held_version = int(weights.version)

    # 6. Resync: wait for newer weights, asking for a snapshot when none come in time.
    def _wait_for_weights(self) -> None:
        start = time.monotonic()
        waiting_for = self.held_version
        while self.stop_reason is None and not self._may_act:
            self._service_channels(timeout=min(HEARTBEAT_SECONDS, self._snapshot_retry))
            if self.held_version == waiting_for and time.monotonic() - start >= self._snapshot_retry:
                # Only a full wait means a batch may be lost; sooner asks just fetch missed versions.
                full_wait = self._snapshot_retry >= SNAPSHOT_RETRY_SECONDS
                self._asked_after_full_wait_at = self.held_version if full_wait else None
                held = self.held_version or 0
                self._send_control(lambda frame: setattr(frame.snapshot_request, "have_version", held))
                if not self._weights_channel_works:
                    self._snapshot_retry = min(self._snapshot_retry * 2, SNAPSHOT_RETRY_SECONDS)
                return

    def _service_channels(self, timeout: float) -> None:
        """Handles what came on the weights and control channels (waiting up to ``timeout``
        seconds for the first message), and sends a heartbeat when one is due."""
        ready = dict(self._poller.poll(int(timeout * 1000)))
        now = time.monotonic()
        if ready:
            self._last_heard = now
        elif now - self._last_heard > self.learner_timeout:
            since = "" if self._ever_heard else " since the actor started (no learner there, or it does not admit this actor)"
            raise LearnerSilent(f"nothing from the learner at {self.endpoints.control} for "
                                f"{now - self._last_heard:.0f} s{since}")
        if self._weights in ready:
            newest = None  # only the newest queued version matters: each holds all the weights
            while (data := self._receive(self._weights)) is not None:
                newest = data
            if newest is not None:
                self._weights_channel_works = True
                self._snapshot_retry = SNAPSHOT_RETRY_SECONDS
                self._handle(newest, is_snapshot=False)
        if self._control in ready:
            while self.stop_reason is None and (data := self._receive(self._control)) is not None:
                self._handle(data, is_snapshot=True)
        self._heartbeat_if_due()

    @staticmethod
    def _receive(socket) -> bytes | None:
        try:
            return socket.recv(zmq.NOBLOCK)
        except zmq.Again:
            return None

    def _handle(self, data: bytes, is_snapshot: bool) -> None:
        """One frame from the learner; ``is_snapshot``: it came on the control channel."""
        self._ever_heard = True
        try:
            frame = wire.decode(data)
        except wire.WireError as error:
            self._log(f"ignored a message from the learner: {error}")
            return
        kind = frame.WhichOneof("payload")
        if kind == "weights":
            self._on_weights(frame.weights, is_snapshot)
        elif kind == "welcome":
            if self.welcome is None:
                self._on_welcome(frame.welcome)
        elif kind == "shutdown":
            # 7. Stop. A Shutdown before any Welcome refuses this actor.
            if self.welcome is None:
                self.refusal = frame.shutdown.reason
            self.stop_reason = frame.shutdown.reason
        elif kind == "refusal":
            self.refusals_heard += 1
            notice = frame.refusal
            self._log(f"the learner refused a frame of this actor ({notice.count} so far like it): "
                      f"{notice.reason}: {notice.detail}")
        else:
            self._log(f"ignored a {kind} message from the learner")

    # 5. Heartbeat every second, and at once after taking new weights.
    def _heartbeat_if_due(self) -> None:
        if time.monotonic() - self._last_heartbeat >= HEARTBEAT_SECONDS or self.held_version != self._reported_version:
            self._last_heartbeat = time.monotonic()
            self._reported_version = self.held_version
            held, sent = self.held_version or 0, self.batches_sent

            def heartbeat(frame):
                frame.heartbeat.weights_version = held
                frame.heartbeat.batches_sent = sent
            self._send_control(heartbeat)

    def _send_control(self, fill) -> None:
        """Sends a control frame (``fill`` sets its payload) without waiting: one the learner is
        not reading is dropped, and the actor gives up after ``learner_timeout``."""
        frame = self.sender.frame()
        fill(frame)
        try:
            self._control.send(frame.SerializeToString(), zmq.NOBLOCK)
        except zmq.Again:
            pass


# The command -------------------------------------------------------------------------------------

def main(argv) -> int:
    """``python -m fleet_env actor``: exit 0 after the learner's Shutdown, 1 when refused, when the
    learner is silent for ``--learner-timeout`` seconds, or when the run cannot be acted on."""
    parser = argparse.ArgumentParser(
        prog="python -m fleet_env actor",
        description="Join a Fleet learner of a PPO run as an actor: take the run's shape from its Welcome, "
                    "act on Gymnasium environments with its weights and ship it trajectory batches.")
    parser.add_argument("--connect", help="ipc://DIRECTORY: the learner's DIRECTORY/batches, /weights and /control")
    parser.add_argument("--batches", help="the batch endpoint (endpoints.batches), instead of --connect")
    parser.add_argument("--weights", help="the weights endpoint (endpoints.weights)")
    parser.add_argument("--control", help="the control endpoint (endpoints.control)")
    parser.add_argument("--id", default="actor-0", help="this actor's id, actor-I (default: actor-0)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the environments and actions (default: 1)")
    parser.add_argument("--unseeded", action="store_true", help="seed nothing")
    parser.add_argument("--learner-timeout", type=float, default=120.0,
                        help="seconds of silence from the learner before giving up (default: 60)")
    parser.add_argument("--incarnation", type=int, help="this start's incarnation (default: Unix time in ms)")
    declare = parser.add_argument_group(
        "declaring the shape", "say in Hello which run this actor expects (the learner checks the hash of "
        "environment and policy, and the width) instead of adopting the run's shape")
    declare.add_argument("--env-id", help="the run's subject: its env_id (with a space and env_kwargs' JSON text "
                         "when it has any)")
    declare.add_argument("--num-envs", type=int, help="environments per actor (num_envs / num_actors)")
    declare.add_argument("--hidden-sizes", default="64,64", help="the policy's hidden layers (default: 64,64)")
    declare.add_argument("--normalize-observations", action="store_true", help="the run normalizes observations")
    args = parser.parse_args(argv)

    try:
        if args.connect:
            endpoints = Endpoints.connecting_to(args.connect)
        elif args.batches and args.weights and args.control:
            endpoints = Endpoints(args.batches, args.weights, args.control)
        else:
            parser.error("give --connect ipc://DIRECTORY, or --batches, --weights and --control")
        declared = None
        if args.env_id is not None:
            if not args.num_envs:
                parser.error("--env-id needs --num-envs")
            env_id, kwargs = environment_of(args.env_id)
            probe = SameStepVector(env_id, 1, kwargs)
            size = int(np.prod(probe.observation_space.shape, dtype=np.int64))
            hidden = [int(width) for width in args.hidden_sizes.split(",") if width]
            declared = DeclaredShape(args.env_id, ppo_policy_spec(size, probe.action_space, hidden,
                                                                  args.normalize_observations), args.num_envs)
            probe.close()
    except ValueError as error:
        print(f"{args.id}: {error}", file=sys.stderr)
        return 2

    actor = Actor(endpoints, args.id, seed=None if args.unseeded else args.seed,
                  learner_timeout=args.learner_timeout, incarnation=args.incarnation, declared=declared)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    status = 0
    try:
        outcome = f"stopped ({actor.run()})"
    except Refused as refused:
        outcome, status = f"the learner refused it: {refused}", 1
    except (LearnerSilent, ActorFailure) as error:
        outcome, status = str(error), 1
    except Interrupted as interrupted:
        outcome, status = f"interrupted ({signal.Signals(interrupted.signal).name})", 128 + interrupted.signal
    recent = actor.episode_returns[-100:]
    mean = f" (mean return of the last {len(recent)}: {np.mean(recent):.2f})" if recent else ""
    print(f"{args.id}: {outcome}: {actor.batches_sent} batches sent, {len(actor.episode_returns)} episodes{mean}, "
          f"{actor.refusals_heard} refusals heard", flush=True)
    return status


class Interrupted(BaseException):
    """SIGINT or SIGTERM: the actor stops where it is."""

    def __init__(self, signal_number: int):
        super().__init__(signal_number)
        self.signal = signal_number


def _interrupt(signal_number, _frame):
    raise Interrupted(signal_number)
