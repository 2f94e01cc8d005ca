"""fleet_env.captures against captures written by Fleet (tests/data) and facts known without it:
the runs' configs, Gymnasium's own environments, the addition task's rule, CRC-32C test vectors,
and `fleet inspect --json` of the same captures."""
import dataclasses
import json
import os
import re
import struct
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from fleet_env import captures
from fleet_env.captures import CaptureDamageWarning, CaptureError, crc32c, load_run, mask, read_capture

DATA = os.path.join(os.path.dirname(__file__), "data")
PPO_CARTPOLE = os.path.join(DATA, "ppo-cartpole")
PPO_PENDULUM = os.path.join(DATA, "ppo-pendulum")
GRPO_ADDITION = os.path.join(DATA, "grpo-addition")
SAMPLES = [PPO_CARTPOLE, PPO_PENDULUM, GRPO_ADDITION]


def config(run):
    """The flat `key: value` lines of a capture's resolved config.yaml."""
    values = {}
    with open(os.path.join(run, "captures", "config.yaml")) as file:
        for line in file:
            line = line.split("#", 1)[0].strip()
            if ":" in line:
                key, value = line.split(":", 1)
                values[key.strip()] = value.strip()
    return values


def inspection(run):
    with open(os.path.join(run, "inspect.json")) as file:
        return json.load(file)


def encode_record_file(run_id: str, records) -> bytes:
    """A record file, encoded from the format's description (docs/protocol.md)."""
    run_id = run_id.encode()
    header = b"FLEETREC" + struct.pack("<IIH", 1, 1, len(run_id)) + run_id
    out = [header, struct.pack("<I", mask(crc32c(header)))]
    for data in records:
        length = struct.pack("<Q", len(data))
        out += [length, struct.pack("<I", mask(crc32c(length))), data, struct.pack("<I", mask(crc32c(data)))]
    return b"".join(out)


def encode_entry(entry, layout=1) -> bytes:
    kind = {"consumed": 1, "dropped": 2, "sent": 3}[entry.kind]
    reason = entry.reason.encode()
    fixed = struct.pack("<BBHIQdd", layout, kind, len(reason), 0, entry.learner_version, entry.arrival_seconds, entry.event_seconds)
    return fixed + reason + entry.frame_bytes


def damaged_copy(tmp_path, source, change):
    path = tmp_path / os.path.basename(source)
    data = bytearray(open(source, "rb").read())
    change(data)
    path.write_bytes(bytes(data))
    return str(path)


# CRC-32C


def test_crc32c_test_vectors():
    assert crc32c(b"") == 0
    assert crc32c(b"123456789") == 0xE3069283
    # RFC 3720, B.4
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E


def test_crc32c_lanes_agree_with_bytewise():
    random = np.random.default_rng(0)
    for length in [1023, 1024, 1025, 1031, 4096, 4097, 65536 + 13, 131072, 200_003, 1 << 20]:
        data = random.integers(0, 256, length, dtype=np.uint8).tobytes()
        assert crc32c(data) == captures._crc32c_bytewise(data), length


# Reading files


def test_a_python_encoding_of_the_entries_is_the_file_fleet_wrote():
    for run in SAMPLES:
        for path in load_run(run, kinds=None).files:
            capture = read_capture(path)
            entries = list(capture)
            assert encode_record_file(capture.header.run_id, [encode_entry(e) for e in entries]) == open(path, "rb").read()


def test_headers_and_manifest():
    run = load_run(PPO_CARTPOLE, kinds=None)
    assert run.manifest["run_id"] == "ppo-cartpole" and run.manifest["complete"]
    assert os.path.basename(run.config_path) == "config.yaml"
    for listed in run.manifest["files"]:
        path = os.path.join(run.directory, listed["name"])
        capture = read_capture(path)
        assert len(list(capture)) == listed["records"]
        assert os.path.getsize(path) == listed["bytes"]
        assert (capture.header.format_version, capture.header.schema_version, capture.header.run_id) == (1, 1, "ppo-cartpole")
    # Actors' own files are not in the manifest; their header names the actor.
    sent = [f for f in run.files if "-sent-" in f]
    assert len(sent) == 4
    for path in sent:
        capture = read_capture(path)
        entries = list(capture)
        assert capture.header.run_id == os.path.basename(path).split("-i")[0]
        assert {e.frame.envelope.sender_id for e in entries} == {capture.header.run_id}


def test_entry_metadata_of_a_ppo_run():
    values = config(PPO_CARTPOLE)
    actors, lag_bound = int(values["num_actors"]), int(values["max_policy_lag"])
    run = load_run(PPO_CARTPOLE, kinds=None)
    consumed = run.of_kind("consumed")
    # A PPO update takes one batch of each actor; consumed entries of an update share its version.
    versions = [e.learner_version for e in consumed]
    assert versions == sorted(versions) == [v for v in range(run.manifest["updates"]) for _ in range(actors)]
    for update in range(run.manifest["updates"]):
        batch = [e for e in consumed if e.learner_version == update]
        assert sorted(e.frame.envelope.sender_id for e in batch) == [f"actor-{i}" for i in range(actors)]
        assert len({e.event_seconds for e in batch}) == 1
    assert all(0 <= e.lag <= lag_bound and e.arrival_seconds <= e.event_seconds and e.reason == "" for e in consumed)
    for sent in run.of_kind("sent"):
        assert sent.arrival_seconds == sent.event_seconds and sent.learner_version == sent.policy_version
    # Each actor's consumed batches are a prefix of what it sent, in order.
    for actor in ("actor-0", "actor-1"):
        sent = [e.frame_bytes for e in run.of_kind("sent") if e.frame.envelope.sender_id == actor]
        taken = [e.frame_bytes for e in consumed if e.frame.envelope.sender_id == actor]
        assert sent[: len(taken)] == taken


def test_agrees_with_fleet_inspect():
    for run_dir in SAMPLES:
        expected = inspection(run_dir)
        run = load_run(run_dir, kinds=None)
        assert [os.path.basename(f) for f in run.files] == [f["path"] for f in expected["files"]]
        assert {k: len(run.of_kind(k)) for k in ("consumed", "dropped", "sent")} == expected["records_by_kind"]
        reasons = [e.reason for e in run.of_kind("dropped")]
        assert {r: reasons.count(r) for r in reasons} == expected["dropped_by_reason"]
        senders = [e.frame.envelope.sender_id for e in run.entries]
        assert {s: senders.count(s) for s in senders} == expected["senders"]
        assert len({e.learner_version for e in run.of_kind("consumed")}) == expected["updates"]
        assert min(e.learner_version for e in run.entries) == expected["learner_versions"]["min"]
        assert max(e.learner_version for e in run.entries) == expected["learner_versions"]["max"]
        assert max(e.policy_version for e in run.entries) == expected["policy_versions"]["max"]
        assert min(e.arrival_seconds for e in run.entries) == pytest.approx(expected["time_span"]["first_arrival_seconds"])
        assert max(e.event_seconds for e in run.entries) == pytest.approx(expected["time_span"]["last_event_seconds"])
        for kind in ("consumed", "dropped", "sent"):
            content = expected["content_by_kind"][kind]
            entries = run.of_kind(kind)
            trajectory = [captures.trajectories(e) for e in entries if e.payload == "trajectory_batch"]
            group = [captures.groups(e) for e in entries if e.payload == "group_batch"]
            assert sum(b["num_steps"] * b["num_envs"] for b in trajectory) == content["env_steps"]
            assert sum(b["rewards"].size for b in group) == content["responses"]
            rewards = np.concatenate([b["rewards"].reshape(-1) for b in trajectory + group] or [np.zeros(0)])
            assert len(rewards) == content["rewards"]["count"]
            if len(rewards):
                assert rewards.mean() == pytest.approx(content["rewards"]["mean"], rel=1e-5)
                assert rewards.min() == pytest.approx(content["rewards"]["min"])
                assert rewards.max() == pytest.approx(content["rewards"]["max"])
            returns = np.concatenate([b["episode_returns"] for b in trajectory] or [np.zeros(0)])
            lengths = np.concatenate([b["episode_lengths"] for b in trajectory] or [np.zeros(0)])
            assert len(returns) == content["episodes"]["count"]
            if len(returns):
                assert returns.mean() == pytest.approx(content["episodes"]["return_mean"], rel=1e-5)
                assert lengths.mean() == pytest.approx(content["episodes"]["length_mean"])


# Trajectory batches


def test_cartpole_batches_follow_gymnasium_dynamics():
    values = config(PPO_CARTPOLE)
    steps, envs = int(values["num_steps"]), int(values["num_envs"]) // int(values["num_actors"])
    run = load_run(PPO_CARTPOLE)
    stacked = run.stack()
    batches = len(run.of_kind("consumed"))
    assert stacked["observations"].shape == (batches, steps, envs, 4)
    assert stacked["actions"].shape == (batches, steps, envs) and stacked["actions"].dtype == np.int64
    assert stacked["successor_observations"].shape == stacked["observations"].shape
    assert stacked["next_observations"].shape == (batches, envs, 4)
    assert batches * steps * envs == int(values["total_timesteps"])
    assert np.array_equal(stacked["learner_versions"], stacked["policy_versions"])  # max_policy_lag 0
    assert np.all(stacked["rewards"] == 1) and not stacked["truncated"].any()
    assert len(stacked["final_observations"]) == 0
    # CartPole pays 1 a step: returns are lengths; every termination ends one episode.
    assert np.array_equal(stacked["episode_returns"], stacked["episode_lengths"].astype(np.float32))
    assert np.array_equal(np.bincount(stacked["episode_batches"], minlength=batches), stacked["terminated"].sum(axis=(1, 2)))
    env = gym.make("CartPole-v1").unwrapped
    env.reset(seed=0)
    for index in np.ndindex(stacked["rewards"].shape):
        env.state = stacked["observations"][index].astype(np.float64)
        env.steps_beyond_terminated = None
        observation, reward, terminated, _, _ = env.step(int(stacked["actions"][index]))
        assert terminated == stacked["terminated"][index], index
        if not terminated:
            np.testing.assert_allclose(stacked["successor_observations"][index], observation, atol=1e-5)


def test_pendulum_truncation_and_rewards_follow_gymnasium():
    values = config(PPO_PENDULUM)
    steps, envs = int(values["num_steps"]), int(values["num_envs"])
    run = load_run(PPO_PENDULUM)
    batches = run.trajectory_batches()
    stacked = run.stack()
    count = len(batches)
    assert count * steps * envs == int(values["total_timesteps"])
    assert stacked["actions"].shape == (count, steps, envs, 1) and stacked["actions"].dtype == np.float32
    # Pendulum-v1 truncates at step 200 and never terminates.
    limit = 200
    assert not stacked["terminated"].any()
    truncated_at = [(b, t) for b in range(count) for t in range(steps) if (b * steps + t + 1) % limit == 0]
    assert [tuple(i[:2]) for i in np.argwhere(stacked["truncated"])] == [(b, t) for b, t in truncated_at for _ in range(envs)]
    for b, batch in enumerate(batches):
        expected = [t * envs + n for bb, t in truncated_at if bb == b for n in range(envs)]
        assert batch["final_observation_steps"].tolist() == expected
        assert batch["final_observations"].shape == (len(expected), 3)
    assert stacked["final_observation_steps"].tolist() == [
        (b * steps + t) * envs + n for b, t in truncated_at for n in range(envs)]
    flat_rewards = stacked["rewards"].transpose(2, 0, 1).reshape(envs, -1)
    np.testing.assert_allclose(stacked["episode_returns"], flat_rewards[:, :limit].sum(axis=1), rtol=1e-5)
    assert stacked["episode_lengths"].tolist() == [limit] * envs
    env = gym.make("Pendulum-v1").unwrapped
    env.reset(seed=0)
    for index in np.ndindex(stacked["rewards"].shape):
        cos, sin, speed = stacked["observations"][index].astype(np.float64)
        env.state = np.array([np.arctan2(sin, cos), speed])
        observation, reward, _, _, _ = env.step(stacked["actions"][index])
        assert reward == pytest.approx(stacked["rewards"][index], abs=1e-4)
        np.testing.assert_allclose(stacked["successor_observations"][index], observation, atol=1e-4)
    # After a truncated step the next row holds the next episode's first observation, not the final one.
    b, t = truncated_at[0]
    following = stacked["observations"][b, t + 1] if t + 1 < steps else stacked["observations"][b + 1, 0]
    assert not np.allclose(following, stacked["successor_observations"][b, t])


def test_absent_optional_tensors_read_as_empty():
    frame = load_run(PPO_PENDULUM).entries[0].frame
    for name in ("final_observation_steps", "final_observations", "episode_returns", "episode_lengths"):
        frame.trajectory_batch.ClearField(name)
    batch = captures.trajectories(frame)
    assert batch["final_observation_steps"].shape == (0,) and batch["final_observation_steps"].dtype == np.int64
    assert batch["final_observations"].shape == (0, 3) and batch["final_observations"].dtype == np.float32
    assert batch["episode_returns"].shape == (0,) and batch["episode_lengths"].shape == (0,)
    with pytest.raises(captures.WireError):
        captures.groups(frame)


# Group batches


def test_group_batches_follow_the_addition_task():
    values = config(GRPO_ADDITION)
    size, prompts = int(values["rollout_n"]), int(values["prompts_per_batch"])
    alphabet = "0123456789+=<>:,abcdefghijklmnopqrstuvwxyz"
    run = load_run(GRPO_ADDITION, kinds=None)
    for entry in run.entries:
        batch = captures.groups(entry)
        assert batch["group_size"] == size and batch["rewards"].shape == (prompts, size)
        assert len(batch["responses"]) == prompts and all(len(r) == size for r in batch["responses"])
        for p, prompt_id in enumerate(batch["prompt_ids"]):
            a, b = divmod(int(prompt_id), 100)
            assert batch["prompts"][p].tolist() == [1] + [3 + alphabet.index(c) for c in f"{a:02d}+{b:02d}="]
            for g in range(size):
                response = batch["responses"][p][g]
                assert len(response) == batch["response_lengths"][p, g] == len(batch["response_log_probs"][p][g])
                text = "".join(alphabet[token - 3] for token in response.tolist() if token >= 3)
                correct = len(response) > 0 and response[-1] == 2 and text == str(a + b) and np.all(response[:-1] >= 3)
                assert batch["rewards"][p, g] == float(correct)
                assert np.all(batch["response_log_probs"][p][g] <= 0)


def test_a_split_group_batch_counts_once():
    values = config(GRPO_ADDITION)
    per_update, per_batch = int(values["train_batch_size"]), int(values["prompts_per_batch"])
    run = load_run(GRPO_ADDITION)
    envelopes = [(e.frame.envelope.sender_id, e.frame.envelope.incarnation, e.frame.envelope.sequence) for e in run.entries]
    # An update takes exactly train_batch_size groups: 6 from batches of 4 splits every other batch.
    assert len(envelopes) > len(set(envelopes))
    batches = run.group_batches()
    assert len(batches) == len(set(envelopes))
    stacked = run.stack_groups()
    trained = run.manifest["updates"] * per_update
    assert trained <= len(stacked["prompt_ids"]) < trained + per_batch
    assert stacked["rewards"].shape == (len(stacked["prompt_ids"]), int(values["rollout_n"]))
    assert len(stacked["responses"]) == len(stacked["prompts"]) == len(stacked["prompt_ids"])
    assert np.array_equal(np.unique(stacked["batch_index"]), np.arange(len(batches)))


def test_dropped_group_batches_have_their_reason():
    run = load_run(GRPO_ADDITION, kinds="dropped")
    assert run.entries and all(e.kind == "dropped" for e in run.entries)
    # Still queued when the run ended, at its final version.
    assert {e.reason for e in run.entries} == {"unconsumed"}
    assert {e.learner_version for e in run.entries} == {run.manifest["policy_version"]}
    assert len(run.stack_groups(kind="dropped")["prompt_ids"]) == len(run.entries) * int(config(GRPO_ADDITION)["prompts_per_batch"])


# Damage


def consumed_file(run=PPO_CARTPOLE):
    return os.path.join(run, "captures", "consumed-00000.fleetrec")


def test_a_flipped_data_byte_is_found_and_skipped(tmp_path):
    original = list(read_capture(consumed_file()))
    target = original[2]

    def flip(data):
        data[target.offset + 12 + 100] ^= 0x01

    path = damaged_copy(tmp_path, consumed_file(), flip)
    with pytest.raises(CaptureError) as raised:
        list(read_capture(path, strict=True))
    assert raised.value.offset == target.offset
    assert str(raised.value) == f"{path}: corrupt record data at offset {target.offset}"
    capture = read_capture(path)
    with pytest.warns(CaptureDamageWarning, match=f"offset {target.offset}"):
        entries = list(capture)
    assert [e.offset for e in entries] == [e.offset for e in original if e is not target]
    [damage] = capture.damage
    assert (damage.kind, damage.offset, damage.skipped_bytes) == ("corrupt_record", target.offset, 16 + 32 + len(target.frame_bytes))
    # Without verification the flipped record is read as it is.
    assert len(list(read_capture(path, verify=False))) == len(original)


def test_a_flipped_length_byte_resumes_at_the_next_record(tmp_path):
    original = list(read_capture(consumed_file()))

    def flip(data):
        data[original[2].offset] ^= 0x40

    path = damaged_copy(tmp_path, consumed_file(), flip)
    with pytest.raises(CaptureError, match=f"corrupt record length at offset {original[2].offset}"):
        list(read_capture(path, strict=True))
    capture = read_capture(path)
    with pytest.warns(CaptureDamageWarning):
        entries = list(capture)
    assert [e.frame_bytes for e in entries] == [e.frame_bytes for e in original[:2] + original[3:]]
    assert capture.damage[0].skipped_bytes == original[3].offset - original[2].offset


def test_after_a_corrupt_length_a_torn_record_is_where_reading_resumes(tmp_path):
    original = list(read_capture(consumed_file()))
    damaged, torn = original[-2].offset, original[-1].offset

    def change(data):
        data[damaged] ^= 0x01
        del data[torn + 100 :]

    capture = read_capture(damaged_copy(tmp_path, consumed_file(), change))
    with pytest.warns(CaptureDamageWarning):
        entries = list(capture)
    assert [e.offset for e in entries] == [e.offset for e in original[:-2]]
    assert [(d.kind, d.offset, d.skipped_bytes) for d in capture.damage] == [
        ("corrupt_record", damaged, torn - damaged), ("torn_tail", torn, 100)]


def test_a_torn_tail_ends_the_file(tmp_path):
    original = list(read_capture(consumed_file()))
    cut = original[-1].offset + 10
    path = damaged_copy(tmp_path, consumed_file(), lambda data: data.__delitem__(slice(cut, None)))
    with pytest.raises(CaptureError, match=f"ends inside the record at offset {original[-1].offset}"):
        list(read_capture(path, strict=True))
    capture = read_capture(path)
    with pytest.warns(CaptureDamageWarning):
        entries = list(capture)
    assert [e.offset for e in entries] == [e.offset for e in original[:-1]]
    assert [(d.kind, d.offset, d.skipped_bytes) for d in capture.damage] == [("torn_tail", original[-1].offset, 10)]
    # A file that ends right after its header holds no records and is not damaged.
    header_only = tmp_path / "header-only.fleetrec"
    header_only.write_bytes(open(consumed_file(), "rb").read()[: original[0].offset])
    assert list(read_capture(header_only)) == []


def test_files_that_are_not_captures_raise(tmp_path):
    header_size = list(read_capture(consumed_file()))[0].offset
    cases = {
        "empty": (b"", "ends inside its header (0 bytes)"),
        "short": (open(consumed_file(), "rb").read()[:12], "ends inside its header (12 bytes)"),
        "config": (open(os.path.join(PPO_CARTPOLE, "captures", "config.yaml"), "rb").read(), "not a record file"),
    }
    header = bytearray(open(consumed_file(), "rb").read())
    header[header_size - 6] ^= 0x01
    cases["header"] = (bytes(header), "header is corrupt")
    for name, (data, message) in cases.items():
        path = tmp_path / f"{name}.fleetrec"
        path.write_bytes(data)
        for strict in (False, True):
            with pytest.raises(CaptureError, match=re.escape(message)):
                list(read_capture(path, strict=strict))
    with pytest.raises(CaptureError, match="No such file or directory"):
        list(read_capture(tmp_path / "missing.fleetrec"))


def test_a_record_that_is_not_an_entry_is_skipped(tmp_path):
    entries = list(read_capture(consumed_file(PPO_PENDULUM)))
    records = [encode_entry(e) for e in entries]
    records[1] = encode_entry(entries[1], layout=2)
    records[3] = records[3][:20]
    path = tmp_path / "bad-entries.fleetrec"
    path.write_bytes(encode_record_file("x", records))
    capture = read_capture(path)
    with pytest.warns(CaptureDamageWarning):
        read = list(capture)
    assert [e.learner_version for e in read] == [0, 2, 4]
    assert [(d.kind, d.detail.split(": ")[1]) for d in capture.damage] == [
        ("bad_entry", "capture entry layout version 2, this reader reads 1"),
        ("bad_entry", "a capture entry of 20 bytes, shorter than its fixed fields"),
    ]
    with pytest.raises(CaptureError, match="record at offset .*: capture entry layout version 2"):
        list(read_capture(path, strict=True))


# The command line


def test_main_summarizes(capsys):
    assert captures.main([PPO_CARTPOLE]) == 0
    out = capsys.readouterr().out
    assert "run        ppo-cartpole: ppo on CartPole-v1, seed 3, complete" in out
    assert "files      7 " in out
    assert "entries    34 (16 consumed, 0 dropped, 18 sent)" in out
    assert "consumed   16 trajectory_batch; 8 updates; 256 steps, 12 episodes, mean return 17.17" in out
    assert captures.main([GRPO_ADDITION]) == 0
    out = capsys.readouterr().out
    assert "dropped: unconsumed 2" in out and "96 responses" in out


def test_main_fails_on_damage_and_missing_paths(tmp_path, capsys):
    original = list(read_capture(consumed_file()))
    path = damaged_copy(tmp_path, consumed_file(), lambda data: data.__setitem__(original[1].offset + 40, data[original[1].offset + 40] ^ 1))
    assert captures.main([path]) == 1
    captured = capsys.readouterr()
    assert "entries    6 " in captured.out
    assert f"{path}: corrupt record data at offset {original[1].offset}" in captured.err
    assert captures.main([str(tmp_path / "nothing")]) == 1
    assert "nothing: No such file or directory" in capsys.readouterr().err


def test_python_m_fleet_env_captures():
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(captures.__file__))}
    result = subprocess.run([sys.executable, "-m", "fleet_env", "captures", PPO_PENDULUM], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "500 steps, 2 episodes" in result.stdout


# A fresh capture


@pytest.mark.skipif(not os.environ.get("FLEET_BINARY"), reason="FLEET_BINARY names no fleet binary")
def test_a_fresh_capture(tmp_path):
    binary = os.environ["FLEET_BINARY"]
    repository = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run_dir = tmp_path / "fresh"
    subprocess.run(
        [binary, "train", os.path.join(repository, "cluster", "cartpole-ppo.yaml"), "--seed", "7", "--run-dir", str(run_dir),
         "--set", "total_timesteps=64", "--set", "num_steps=8", "--set", "num_envs=2", "--capture"],
        check=True, capture_output=True)
    run = load_run(run_dir)
    stacked = run.stack()
    assert stacked["observations"].shape == (4, 8, 2, 4)
    assert run.manifest["updates"] == 4 and run.manifest["complete"]
    expected = json.loads(subprocess.run([binary, "inspect", "--json", str(run_dir / "captures")], check=True, capture_output=True, text=True).stdout)
    content = expected["content_by_kind"]["consumed"]
    assert stacked["rewards"].size == content["env_steps"] == 64
    assert len(stacked["episode_returns"]) == content["episodes"]["count"]
    if content["episodes"]["count"]:
        assert stacked["episode_returns"].mean() == pytest.approx(content["episodes"]["return_mean"], rel=1e-5)


@pytest.mark.skipif(not os.environ.get("FLEET_BINARY"), reason="FLEET_BINARY names no fleet binary")
def test_damage_is_what_fleet_inspect_reports(tmp_path):
    original = list(read_capture(consumed_file()))
    second, last = original[1].offset, original[-1].offset

    def flip(offset, bit=0x01):
        return lambda data: data.__setitem__(offset, data[offset] ^ bit)

    def length_and_tail(data):
        data[original[-2].offset] ^= 0x01
        del data[last + 100 :]

    changes = {
        "data": flip(second + 100),
        "length": flip(second),
        "length-checksum": flip(second + 9),
        "data-checksum": flip(original[2].offset - 1),
        "too-long": flip(second + 3, 0x10),
        "torn": lambda data: data.__delitem__(slice(last + 10, None)),
        "length-and-tail": length_and_tail,
    }
    for name, change in changes.items():
        directory = tmp_path / name
        directory.mkdir()
        path = damaged_copy(directory, consumed_file(), change)
        capture = read_capture(path)
        with pytest.warns(CaptureDamageWarning):
            entries = list(capture)
        report = json.loads(subprocess.run(
            [os.environ["FLEET_BINARY"], "inspect", "--json", path], check=True, capture_output=True, text=True).stdout)
        assert len(entries) == report["records"], name
        assert [dataclasses.astuple(d) for d in capture.damage] == [
            (d["file"], d["offset"], d["kind"], d["detail"], d["skipped_bytes"]) for d in report["damage"]], name
