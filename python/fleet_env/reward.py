"""``python -m fleet_env reward``: a reward server of Fleet's reward protocol.

The server binds a ZeroMQ ROUTER, so any number of clients (DEALER or REQ) may ask at once, and
keeps ``--workers`` worker processes (``multiprocessing``, spawned), each of which imports the
reward function once (``fleet_env.reward_worker``). Each ``RewardRequest`` goes whole to an idle
worker, which calls the function on all its items::

    fn(prompts: list[str], completions: list[str], answers: list[str], metadata: list[dict]) -> list[float]

Every request is answered exactly once with a ``RewardReply`` carrying its envelope sequence:
the rewards, or a failure: ``raised`` (the function raised), ``timeout`` (the call ran past
``--timeout``: its worker is killed and replaced), ``worker_died`` (the worker exited mid-call:
replaced), ``bad_result`` (not one number per completion), ``not_finite`` (NaN or infinite), or
``bad_request`` (a frame the server cannot use). Each failure is one line on stderr. A request
without items is a ping, answered with no rewards. ``Shutdown`` is answered with ``Shutdown``
before the server exits 0; so does SIGTERM, or the ``--parent-pid`` process going away. A function
that cannot be imported stops the server at start (exit 1, with the reason on stderr).
"""
from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import signal
import sys
import time

import zmq

from . import fleet_pb2 as pb
from . import reward_worker
from . import wire
from .parent import alive, signal_with_parent

POLL_MILLISECONDS = 1000  # how often the server looks whether its parent is still there
FINAL_LINGER_MILLISECONDS = 2000  # how long the last answer may take to leave before exit
MAX_FRAME_BYTES = 64 << 20  # as Fleet's own limit
MAX_FAILED_STARTS = 3  # workers in a row that die before they are ready: the server gives up


def main(argv) -> int:
    """Serves until ``Shutdown`` or SIGTERM (exit 0), the parent's end (exit 0), or a function that
    cannot be loaded (exit 1)."""
    args = _parser().parse_args(argv)
    if args.workers < 1 or args.timeout <= 0:
        print("fleet_env reward: --workers must be at least 1 and --timeout above 0", file=sys.stderr, flush=True)
        return 2
    if args.parent_pid is not None:
        signal_with_parent(args.parent_pid)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = RewardServer(args)
    try:
        return server.run()
    finally:
        server.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fleet_env reward",
        description="Serve a Python reward function to a Fleet learner (ZeroMQ ROUTER, batched calls with a timeout).")
    parser.add_argument("--endpoint", required=True, help="ZeroMQ endpoint to bind, e.g. ipc:///tmp/reward.sock or tcp://*:5560")
    parser.add_argument("--function", required=True,
                        help="module:function or path/to/file.py:function, called as fn(prompts, completions, answers, metadata)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes calling the function (default 2)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds one call may take before its worker is killed and replaced (default 30)")
    parser.add_argument("--server-id", default="reward-server", help="the sender id of this server's envelopes")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    return parser


class _Job:
    """One request waiting for, or in, a worker."""

    def __init__(self, route, sequence: int, batch, count: int):
        self.route = route
        self.sequence = sequence
        self.batch = batch
        self.count = count


class _Worker:
    """A worker process, the pipe to it, and the job it runs (None: idle)."""

    def __init__(self, index: int, context, function: str):
        self.index = index
        self.connection, child_end = context.Pipe()
        self.process = context.Process(
            target=reward_worker.run, args=(child_end, function, os.getpid()), name=f"reward-worker-{index}", daemon=True)
        self.process.start()
        child_end.close()
        self.ready = False
        self.job: _Job | None = None
        self.deadline = 0.0

    @property
    def name(self) -> str:
        return f"worker {self.index} (pid {self.process.pid})"

    def ending(self) -> str:
        """How the process ended: ``exit N`` or ``signal N``."""
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is None:
            return "still running"
        return f"signal {-code}" if code < 0 else f"exit {code}"

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class RewardServer:
    """The ROUTER socket, the workers and the queue of requests; see the module's description."""

    def __init__(self, args):
        self.args = args
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES)  # a larger frame drops its connection, unread
        self.sender = wire.Sender(args.server_id, incarnation=time.time_ns() // 1_000_000)
        self.spawner = multiprocessing.get_context("spawn")
        self.poller = zmq.Poller()
        self.workers: list[_Worker] = []
        self.pending: collections.deque[_Job] = collections.deque()
        self.failed_starts = 0
        self.parent_checked = time.monotonic()

    # MARK: - Life

    def run(self) -> int:
        for index in range(self.args.workers):
            self._add(_Worker(index, self.spawner, self.args.function))
        if not self._wait_until_ready():
            return 1
        try:
            self.socket.bind(self.args.endpoint)
        except zmq.ZMQError as error:
            self._say(f"cannot bind {self.args.endpoint}: {error}")
            return 1
        self.poller.register(self.socket, zmq.POLLIN)
        self._say(f"serving {self.args.function} with {len(self.workers)} worker{'' if len(self.workers) == 1 else 's'} on {self.args.endpoint} "
                  f"(timeout {self.args.timeout:g} s)")
        while True:
            events = dict(self.poller.poll(self._poll_milliseconds()))
            if self.socket in events and not self._receive_requests():
                return 0
            for worker in list(self.workers):
                if worker.connection.fileno() in events or worker.process.sentinel in events:
                    if not self._hear(worker):
                        return 1
            self._enforce_deadlines()
            self._dispatch()
            if not self._parent_alive():
                return 0

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()
        self.socket.close()
        self.context.term()

    def _wait_until_ready(self) -> bool:
        """Waits for every worker's import; False (the reason said) when one fails or the parent goes."""
        while not all(worker.ready for worker in self.workers):
            events = dict(self.poller.poll(POLL_MILLISECONDS))
            for worker in list(self.workers):
                if worker.connection.fileno() in events or worker.process.sentinel in events:
                    if not self._hear(worker):
                        return False
            if not self._parent_alive():
                return False
        return True

    # MARK: - Workers

    def _add(self, worker: _Worker) -> None:
        self.workers.append(worker)
        self._watch(worker)

    def _watch(self, worker: _Worker) -> None:
        self.poller.register(worker.connection.fileno(), zmq.POLLIN)
        self.poller.register(worker.process.sentinel, zmq.POLLIN)

    def _replace(self, worker: _Worker) -> None:
        """Kills `worker` (if it still runs) and starts another in its place."""
        self.poller.unregister(worker.connection.fileno())
        self.poller.unregister(worker.process.sentinel)
        worker.kill()
        replacement = _Worker(worker.index, self.spawner, self.args.function)
        self.workers[self.workers.index(worker)] = replacement
        self._watch(replacement)

    def _hear(self, worker: _Worker) -> bool:
        """Reads what `worker` says, or notices it died; False when the server must stop."""
        message = None
        if worker.connection.poll():
            try:
                message = worker.connection.recv()
            except (EOFError, OSError):
                message = None
        if message is None:
            if worker.process.is_alive():
                return True  # not ended yet: its sentinel will say when
            return self._died(worker)
        kind, value = message
        if kind == "ready":
            worker.ready = True
            self.failed_starts = 0
            return True
        if kind == "import_failed":
            self._say(f"cannot load {self.args.function}: {value}")
            return False
        job, worker.job = worker.job, None
        if job is None:
            return True
        if kind == "ok":
            self._reply(job, rewards=value)
        else:
            self._fail(job, kind, value)
        return True

    def _died(self, worker: _Worker) -> bool:
        ending = worker.ending()
        if not worker.ready:
            self.failed_starts += 1
            self._say(f"{worker.name} died while loading {self.args.function} ({ending})")
            if self.failed_starts >= MAX_FAILED_STARTS:
                self._say(f"{self.failed_starts} workers in a row died before they were ready: stopping")
                return False
        elif worker.job is not None:
            self._fail(worker.job, "worker_died", f"{worker.name} ended mid-call ({ending}); replaced")
        else:
            self._say(f"{worker.name} ended while idle ({ending}); replaced")
        self._replace(worker)
        return True

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.job is not None and now >= worker.deadline:
                job = worker.job
                worker.job = None
                self._fail(job, "timeout", f"the call ran past {self.args.timeout:g} s; {worker.name} killed and replaced")
                self._replace(worker)

    def _dispatch(self) -> None:
        for worker in self.workers:
            if not self.pending:
                return
            if worker.ready and worker.job is None:
                job = self.pending.popleft()
                try:
                    worker.connection.send(job.batch)
                except (OSError, ValueError) as error:
                    self._fail(job, "worker_died", f"{worker.name} could not take the call: {error}; replaced")
                    self._replace(worker)
                    continue
                worker.job = job
                worker.deadline = time.monotonic() + self.args.timeout

    def _poll_milliseconds(self) -> int:
        deadlines = [worker.deadline for worker in self.workers if worker.job is not None]
        if not deadlines:
            return POLL_MILLISECONDS
        return max(0, min(POLL_MILLISECONDS, int((min(deadlines) - time.monotonic()) * 1000) + 1))

    # MARK: - Requests

    def _receive_requests(self) -> bool:
        """Takes every request waiting; False after a Shutdown (answered)."""
        while True:
            try:
                parts = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return True
            if len(parts) < 2:
                continue  # no route to answer on
            route, data = parts[:-1], parts[-1]
            sequence = 0
            try:
                frame = wire.decode(data)
                sequence = frame.envelope.sequence
                kind = frame.WhichOneof("payload")
                if kind == "shutdown":
                    answer = self.sender.frame()
                    answer.shutdown.reason = "shutdown requested"
                    self.socket.setsockopt(zmq.LINGER, FINAL_LINGER_MILLISECONDS)
                    self.socket.send_multipart([*route, answer.SerializeToString()])
                    self._say("shutdown requested: stopping")
                    return False
                if kind != "reward_request":
                    raise wire.WireError(f"unexpected {kind} (a reward server answers reward_request and shutdown)")
                items = wire.reward_items(frame.reward_request)
                metadata = [_metadata(text, i) for i, text in enumerate(items.metadata)]
            except wire.WireError as error:
                self._fail(_Job(route, sequence, None, 0), "bad_request", str(error))
                continue
            job = _Job(route, sequence, (items.prompts, items.responses, items.answers, metadata), len(items))
            if len(items) == 0:
                self._reply(job, rewards=[])  # a ping
            else:
                self.pending.append(job)

    def _reply(self, job: _Job, rewards) -> None:
        answer = self.sender.frame()
        wire.fill_reward_reply(answer.reward_reply, job.sequence, rewards=rewards)
        self._send(job, answer)

    def _fail(self, job: _Job, reason: str, detail: str) -> None:
        self._say(f"request {job.sequence} ({job.count} items): {reason}: {detail}")
        answer = self.sender.frame()
        wire.fill_reward_reply(answer.reward_reply, job.sequence, failure=reason, detail=detail)
        self._send(job, answer)

    def _send(self, job: _Job, answer: pb.Frame) -> None:
        try:
            self.socket.send_multipart([*job.route, answer.SerializeToString()], zmq.NOBLOCK)
        except zmq.ZMQError:
            pass  # the client is gone or not reading: a ROUTER drops what it cannot deliver

    # MARK: - Helpers

    def _parent_alive(self) -> bool:
        if self.args.parent_pid is None or time.monotonic() - self.parent_checked < POLL_MILLISECONDS / 1000:
            return True
        self.parent_checked = time.monotonic()
        if alive(self.args.parent_pid):
            return True
        self._say(f"parent process {self.args.parent_pid} is gone, stopping")
        return False

    def _say(self, text: str) -> None:
        print(f"fleet_env reward: {text}", file=sys.stderr, flush=True)


def _metadata(text: str, index: int) -> dict:
    """A request item's metadata: empty text is ``{}``, anything else must be a JSON object."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise wire.WireError(f"metadata of item {index} is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise wire.WireError(f"metadata of item {index} is a JSON {type(value).__name__}, expected an object")
    return value

