"""``python -m fleet_env reward`` as a real process, spoken to over a ZeroMQ DEALER socket."""
import os
import signal
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
from fleet_env.parent import alive

from served_process import ServedProcess
TIMEOUT_MILLISECONDS = 20_000


class Server(ServedProcess):
    """A reward server process and a DEALER socket connected to it."""

    def __init__(self, directory, function, workers=2, timeout=30.0, extra=()):
        self.directory = Path(directory)
        endpoint = f"ipc://{directory}/reward.sock"
        super().__init__(
            ["reward", "--endpoint", endpoint, "--function", function, "--workers", str(workers),
             "--timeout", str(timeout), *extra],
            endpoint, zmq.DEALER)
        self.socket.connect(self.endpoint)
        self.sender = wire.Sender("test-learner", incarnation=1)

    def send(self, items=None, raw=None) -> int:
        """Sends a request of ``items`` (or raw bytes); returns its sequence."""
        frame = self.sender.frame()
        if raw is None:
            wire.fill_reward_request(frame.reward_request, items if items is not None else batch([]))
            raw = frame.SerializeToString()
        self.socket.send(raw)
        return frame.envelope.sequence

    def receive(self, timeout_ms=TIMEOUT_MILLISECONDS) -> pb.Frame:
        assert self.socket.poll(timeout_ms), "no reply in time"
        return wire.decode(self.socket.recv())

    def ask(self, items) -> pb.RewardReply:
        """Sends a request and returns the reply to it, checking it answers that request."""
        sequence = self.send(items)
        reply = self.receive().reward_reply
        assert reply.request_sequence == sequence
        return reply


@pytest.fixture
def start_server():
    """Starts servers on ipc endpoints in a short temporary directory and kills any left at the end."""
    servers = []
    with tempfile.TemporaryDirectory(prefix="fleet-reward-") as directory:
        def start(function="toy_rewards:scripted", **options):
            path = Path(directory) / str(len(servers))
            path.mkdir()
            servers.append(Server(path, function, **options))
            return servers[-1]
        yield start
        for server in servers:
            server.close()


def batch(completions, prompt="07+45=", answers=None, metadata=None):
    """Items answering ``prompt``, one per completion."""
    count = len(completions)
    return wire.RewardItems(
        prompt_ids=list(range(100, 100 + count)), prompts=[prompt] * count, responses=completions,
        answers=answers if answers is not None else ["52"] * count,
        metadata=metadata if metadata is not None else [""] * count, truncated=[False] * count)


def rewards(reply) -> list:
    assert reply.failure == "", f"{reply.failure}: {reply.detail}"
    return wire.to_numpy(reply.rewards).tolist()


def test_a_ping_and_exact_match_rewards(start_server):
    server = start_server("toy_rewards:exact_match")
    assert rewards(server.ask(batch([]))) == []
    assert rewards(server.ask(batch(["52", "25", " 52 ", ""]))) == [1.0, 0.0, 1.0, 0.0]
    assert server.socket.poll(200) == 0, "one reply per request: nothing else waits"


def test_text_arrives_whole_with_metadata_as_dicts(start_server):
    server = start_server()
    items = batch(["vier ist größer", "x"], prompt="echo", answers=["4", "ü"],
                  metadata=['{"score": 2.5}', ""])
    assert rewards(server.ask(items)) == [2.5, 2.0], "metadata parsed; empty metadata is {}"


def test_each_failure_reason_costs_its_request_only(start_server):
    server = start_server(timeout=2.0)
    cases = {"raise": "raised", "nan": "not_finite", "short": "bad_result", "text": "bad_result",
             "die": "worker_died", "hang": "timeout"}
    for command, reason in cases.items():
        reply = server.ask(batch(["52", "1"], prompt=command))
        assert reply.failure == reason, (command, reply)
        assert not reply.HasField("rewards")
        assert reply.detail
        # The next call works.
        assert rewards(server.ask(batch(["52", "1"]))) == [1.0, 0.0], command
    raised = server.ask(batch(["1"], prompt="raise"))
    assert raised.detail.startswith("ValueError: no answer for 52 (at toy_rewards.py:"), raised.detail
    server.socket.send(b"")  # not a frame: refused as bad_request, with sequence 0
    reply = server.receive().reward_reply
    assert (reply.failure, reply.request_sequence) == ("bad_request", 0)
    bad_metadata = server.ask(batch(["52"], metadata=["[1, 2]"]))
    assert bad_metadata.failure == "bad_request" and "expected an object" in bad_metadata.detail
    server.process.terminate()
    _, stderr = server.finish()
    for reason in cases.values():
        assert f": {reason}: " in stderr, stderr  # one line per failure


def test_a_worker_killed_mid_call_is_replaced(start_server, tmp_path):
    server = start_server(workers=1)
    pid_file = tmp_path / "worker.pid"
    sequence = server.send(batch(["52"], prompt=f"pid:{pid_file}"))
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    reply = server.receive().reward_reply
    assert (reply.request_sequence, reply.failure) == (sequence, "worker_died")
    assert "signal 9" in reply.detail
    assert rewards(server.ask(batch(["52", "53"]))) == [1.0, 0.0], "the replacement answers"


def test_a_hanging_call_times_out_and_the_next_works(start_server):
    server = start_server(workers=1, timeout=1.0)
    started = time.monotonic()
    reply = server.ask(batch(["52"], prompt="hang"))
    assert reply.failure == "timeout" and "killed and replaced" in reply.detail
    assert 0.9 < time.monotonic() - started < 10
    assert rewards(server.ask(batch(["52"]))) == [1.0]


def test_requests_are_served_concurrently_and_each_answered_once(start_server):
    server = start_server(workers=2)
    server.ask(batch([]))  # both workers ready
    started = time.monotonic()
    first = server.send(batch(["52"], prompt="slow:1"))
    second = server.send(batch(["52"], prompt="slow:1"))
    replies = {server.receive().reward_reply.request_sequence for _ in range(2)}
    assert replies == {first, second}
    assert time.monotonic() - started < 1.9, "two workers call at once"
    assert server.socket.poll(300) == 0


def test_an_unloadable_function_stops_the_server_with_the_reason(start_server):
    for function, words in [("toy_rewards:nope", "AttributeError"), ("no_such_module:f", "ModuleNotFoundError"),
                            ("not-a-spec", "not module:function")]:
        server = start_server(function)
        code, stderr = server.finish()
        assert code == 1 and words in stderr, stderr


def test_a_file_path_function(start_server, tmp_path):
    source = tmp_path / "my_reward.py"
    source.write_text("def score(prompts, completions, answers, metadata):\n"
                      "    return [float(len(c)) for c in completions]\n")
    server = start_server(f"{source}:score")
    assert rewards(server.ask(batch(["abc", ""]))) == [3.0, 0.0]


def test_shutdown_is_answered_then_the_server_exits(start_server):
    server = start_server()
    frame = server.sender.frame()
    frame.shutdown.reason = "done"
    server.socket.send(frame.SerializeToString())
    assert server.receive().WhichOneof("payload") == "shutdown"
    code, _ = server.finish()
    assert code == 0


def test_sigterm_stops_the_server_and_its_workers(start_server, tmp_path):
    server = start_server(workers=1)
    pid_file = tmp_path / "worker.pid"
    server.send(batch(["52"], prompt=f"pid:{pid_file}"))
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    worker = int(pid_file.read_text())
    server.process.send_signal(signal.SIGTERM)
    code, _ = server.finish()
    assert code == 0
    deadline = time.monotonic() + 5
    while alive(worker):
        assert time.monotonic() < deadline, "the worker outlived its server"
        time.sleep(0.05)


def test_the_server_exits_when_its_parent_is_gone(start_server):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    server = start_server(extra=("--parent-pid", str(parent.pid)))
    assert rewards(server.ask(batch([]))) == []
    parent.kill()
    parent.wait()
    code, stderr = server.finish(timeout=10)
    assert code == 0 and f"parent process {parent.pid} is gone" in stderr


def test_the_wire_helpers_refuse_bad_offsets_and_utf8():
    message = pb.RewardRequest()
    wire.fill_reward_request(message, batch(["52", "x"]))
    items = wire.reward_items(message)
    assert (items.responses, items.prompt_ids, items.truncated) == (["52", "x"], [100, 101], [False, False])
    broken = pb.RewardRequest()
    broken.CopyFrom(message)
    wire.fill_tensor(broken.response_offsets, np.array([0, 3, 2], dtype=np.int64))
    with pytest.raises(wire.WireError, match="offsets"):
        wire.reward_items(broken)
    broken.CopyFrom(message)
    broken.responses = b"5\xff" + b"x"
    with pytest.raises(wire.WireError, match="UTF-8"):
        wire.reward_items(broken)
    reply = pb.RewardReply()
    wire.fill_reward_reply(reply, 7, failure="raised", detail="é" * 5000)
    assert len(reply.detail.encode()) <= wire.MAX_REWARD_DETAIL_BYTES

