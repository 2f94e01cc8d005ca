#!/usr/bin/env python3
"""The second, independent protobuf implementation that proves Fleet's wire is language-neutral.

Classes are generated from proto/fleet.proto by a standard protoc (--python_out) into a temporary
folder and used with Google's Python `protobuf` package.

    interop.py check GOLDEN_DIR   decode Fleet's golden frames and check every field value
    interop.py write OUT_DIR      encode the same sample frames with Python, for Fleet to decode

The sample values below are written out independently of the Swift sample frames
(Sources/FleetWire/SampleFrames.swift); the two sides must agree.
"""
import importlib
import os
import struct
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

F32, F64, I32, I64, U8, BOOL = 1, 2, 3, 4, 5, 6
PACK = {F32: "f", F64: "d", I32: "i", I64: "q", U8: "B", BOOL: "B"}

ACTOR = dict(schema_version=1, sender_id="actor-7", incarnation=3, sequence=42)
LEARNER = dict(schema_version=1, sender_id="learner", incarnation=2, sequence=7)
WORKER = dict(schema_version=1, sender_id="env-worker-0", incarnation=1, sequence=3)
INF = float("inf")
STATUS_CLIENT = dict(schema_version=1, sender_id="fleet-status", incarnation=1, sequence=0)
REWARD_CLIENT = dict(schema_version=1, sender_id="learner-reward", incarnation=2, sequence=5)
REWARD_SERVER = dict(schema_version=1, sender_id="reward-server", incarnation=1, sequence=0)

# kind -> (envelope, payload fields); a tensor is (dtype, shape, values)
SAMPLES = {
    "trajectory_batch": (ACTOR, dict(
        policy_version=5, num_steps=2, num_envs=2,
        observations=(F32, [2, 2, 3], [i * 0.5 for i in range(12)]),
        actions=(I64, [2, 2], [0, 1, 1, 0]),
        rewards=(F32, [2, 2], [1, 1, 1, -0.5]),
        terminated=(BOOL, [2, 2], [0, 0, 0, 1]),
        truncated=(BOOL, [2, 2], [0, 1, 0, 0]),
        behaviour_log_probs=(F32, [2, 2], [-0.5, -0.25, -1, -2]),
        final_observation_steps=(I64, [1], [1]),
        final_observations=(F32, [1, 3], [9, 9.5, 10]),
        next_observations=(F32, [2, 3], [6, 6.5, 7, 7.5, 8, 8.5]),
        episode_returns=(F32, [2], [21, 9.5]),
        episode_lengths=(I64, [2], [21, 10]),
    )),
    "group_batch": (ACTOR, dict(
        policy_version=9, group_size=2,
        prompt_ids=(I64, [2], [100, 101]),
        prompt_tokens=(I32, [5], [5, 6, 7, 8, 9]),
        prompt_offsets=(I64, [3], [0, 3, 5]),
        response_tokens=(I32, [6], [1, 2, 3, 4, 5, 6]),
        response_offsets=(I64, [5], [0, 2, 3, 5, 6]),
        behaviour_log_probs=(F32, [6], [-0.5, -1, -0.25, -2, -0.125, -4]),
        rewards=(F32, [4], [1, 0, 0, 1]),
        truncated=(BOOL, [4], [0, 0, 1, 0]),
    )),
    "weights": (LEARNER, dict(
        version=12, model_spec_hash=bytes([0xDE, 0xAD, 0xBE, 0xEF]),
        tensors=[("actor.0.weight", (F32, [2, 2], [0.5, -0.5, 0.25, -0.25])),
                 ("actor.0.bias", (F32, [2], [0, 1]))],
    )),
    "hello": (ACTOR, dict(spec_hash=bytes([1, 2, 3, 4]), num_envs=4, host="host-a", pid=4242)),
    "welcome": (LEARNER, dict(
        weights_version=12, learner_incarnation=2, spec_hash=bytes([5, 6, 7, 8]), subject="CartPole-v1",
        policy_spec="fleet-ppo-policy 1\n", num_envs=4, num_steps=128, max_policy_lag=1,
        observation_space=dict(shape=[2], low=(F32, [2], [-1, -INF]), high=(F32, [2], [1, INF])),
        action_space=dict(discrete=2),
    )),
    "heartbeat": (ACTOR, dict(weights_version=12, batches_sent=99)),
    "snapshot_request": (ACTOR, dict(have_version=11)),
    "stats": (ACTOR, dict(scalars=[("sps", 12345.5), ("queue_depth", 3.0)])),
    "shutdown": (LEARNER, dict(reason="operator")),
    "status_request": (STATUS_CLIENT, dict()),
    "refusal": (LEARNER, dict(reason="stale", detail="policy lag 3 > max_policy_lag 1", sequence=41, count=10)),
    "env_spec_request": (ACTOR, dict()),
    "env_spec": (WORKER, dict(
        env_id="gymnasium:CartPole-v1", num_envs=2,
        observation_space=dict(shape=[2], low=(F32, [2], [-4.5, -INF]), high=(F32, [2], [4.5, INF])),
        action_space=dict(discrete=2), reward_threshold=475.0, has_reward_threshold=True, max_episode_steps=500,
    )),
    "env_reset": (ACTOR, dict(seeded=True, seed=7)),
    "env_step": (ACTOR, dict(actions=(I64, [2], [1, 0]))),
    "env_state": (WORKER, dict(
        observations=(F32, [2, 2], [0.5, 1, 1.5, 2]),
        rewards=(F64, [2], [1, 1]),
        terminated=(BOOL, [2], [1, 0]),
        truncated=(BOOL, [2], [0, 0]),
        final_observation_envs=(I64, [1], [0]),
        final_observations=(F32, [1, 2], [9, 9.5]),
        episode_returns=(F64, [1], [12]),
        episode_lengths=(I64, [1], [12]),
    )),
    "reward_request": (REWARD_CLIENT, dict(
        prompt_ids=(I64, [2], [100, 101]),
        prompts="07+45=Wie viel ist 2+2?".encode(),
        prompt_offsets=(I64, [3], [0, 6, 23]),
        responses="52vier ist gr\u00f6\u00dfer als".encode(),
        response_offsets=(I64, [3], [0, 2, 23]),
        answers=b"524",
        answer_offsets=(I64, [3], [0, 2, 3]),
        metadata=b'{"source":"de","level":1}',
        metadata_offsets=(I64, [3], [0, 0, 25]),
        truncated=(BOOL, [2], [0, 1]),
    )),
    "reward_reply": (REWARD_SERVER, dict(request_sequence=5, rewards=(F64, [2], [1, -0.5]))),
    "credit": (LEARNER, dict(batches_total=6, min_version=12)),
    "status": (LEARNER, dict(
        json='{"version":3,"actors":{"actor-0":{"state":"live","host":"h\u00f4te-\u03b1"}}}')),
}


def load_schema():
    """Generates fleet_pb2 from proto/ with protoc and imports it."""
    out = tempfile.mkdtemp(prefix="fleet-interop-")
    subprocess.run(["protoc", f"--python_out={out}", f"-I{TOP}/proto", f"{TOP}/proto/fleet.proto"],
                   check=True)
    sys.path.insert(0, out)
    return importlib.import_module("fleet_pb2")


def is_tensor(value):
    return isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], list)


def fill_tensor(message, spec):
    dtype, shape, values = spec
    message.dtype = dtype
    message.shape.extend(shape)
    message.data = struct.pack(f"<{len(values)}{PACK[dtype]}", *values)


def fill_message(message, fields):
    """Sets a nested message's fields: tensors, repeated numbers and scalars."""
    for key, value in fields.items():
        if is_tensor(value):
            fill_tensor(getattr(message, key), value)
        elif isinstance(value, list):
            getattr(message, key).extend(value)
        else:
            setattr(message, key, value)


def check_message(path, message, fields):
    """Checks a nested message's fields; returns how many values it checked."""
    checked = 0
    for key, value in fields.items():
        if is_tensor(value):
            checked += check_tensor(f"{path}.{key}", getattr(message, key), value)
        else:
            got = getattr(message, key)
            expect(f"{path}.{key}", list(got) if isinstance(value, list) else got, value)
            checked += 1
    return checked


def build(pb, kind):
    """Builds the sample frame of `kind` with the Python classes."""
    envelope, fields = SAMPLES[kind]
    frame = pb.Frame()
    for key, value in envelope.items():
        setattr(frame.envelope, key, value)
    payload = getattr(frame, kind)
    payload.SetInParent()
    for key, value in fields.items():
        if is_tensor(value):
            fill_tensor(getattr(payload, key), value)
        elif kind == "weights" and key == "tensors":
            for name, spec in value:
                named = payload.tensors.add(name=name)
                fill_tensor(named.tensor, spec)
        elif kind == "stats" and key == "scalars":
            for name, number in value:
                payload.scalars.add(name=name, value=number)
        elif isinstance(value, dict):
            fill_message(getattr(payload, key), value)
        else:
            setattr(payload, key, value)
    return frame


class Mismatch(Exception):
    pass


def expect(path, got, want):
    if got != want:
        raise Mismatch(f"{path}: got {got!r}, want {want!r}")


def check_tensor(path, message, spec):
    dtype, shape, values = spec
    expect(f"{path}.dtype", message.dtype, dtype)
    expect(f"{path}.shape", list(message.shape), shape)
    count = len(message.data) // struct.calcsize(PACK[dtype])
    expect(f"{path}.data length", len(message.data), count * struct.calcsize(PACK[dtype]))
    decoded = list(struct.unpack(f"<{count}{PACK[dtype]}", message.data))
    expect(f"{path}.data", decoded, [type(decoded[0])(v) for v in values] if decoded else [])
    return 3


def check(pb, kind, data):
    """Decodes Fleet's bytes of `kind` and checks every field; returns how many values it checked."""
    frame = pb.Frame()
    frame.ParseFromString(data)
    expect("payload", frame.WhichOneof("payload"), kind)
    envelope, fields = SAMPLES[kind]
    checked = 0
    for key, value in envelope.items():
        expect(f"envelope.{key}", getattr(frame.envelope, key), value)
        checked += 1
    payload = getattr(frame, kind)
    for key, value in fields.items():
        path = f"{kind}.{key}"
        if is_tensor(value):
            checked += check_tensor(path, getattr(payload, key), value)
        elif kind == "weights" and key == "tensors":
            expect(f"{path} count", len(payload.tensors), len(value))
            for i, (name, spec) in enumerate(value):
                expect(f"{path}[{i}].name", payload.tensors[i].name, name)
                checked += 1 + check_tensor(f"{path}[{i}].tensor", payload.tensors[i].tensor, spec)
        elif kind == "stats" and key == "scalars":
            expect(f"{path} count", len(payload.scalars), len(value))
            for i, (name, number) in enumerate(value):
                expect(f"{path}[{i}]", (payload.scalars[i].name, payload.scalars[i].value), (name, number))
                checked += 2
        elif isinstance(value, dict):
            checked += check_message(path, getattr(payload, key), value)
        else:
            expect(path, getattr(payload, key), value)
            checked += 1
    return checked


def main(argv):
    if len(argv) != 3 or argv[1] not in ("check", "write"):
        print(__doc__, file=sys.stderr)
        return 2
    pb = load_schema()
    folder = argv[2]
    if argv[1] == "write":
        os.makedirs(folder, exist_ok=True)
        for kind in SAMPLES:
            with open(os.path.join(folder, f"{kind}.bin"), "wb") as f:
                f.write(build(pb, kind).SerializeToString())
        print(f"wrote {len(SAMPLES)} frames encoded by python protobuf to {folder}")
        return 0
    failures, total = 0, 0
    for kind in SAMPLES:
        with open(os.path.join(folder, f"{kind}.bin"), "rb") as f:
            data = f.read()
        try:
            total += check(pb, kind, data)
            same = build(pb, kind).SerializeToString() == data
            print(f"ok   {kind}: {len(data)} bytes, python's encoding {'identical' if same else 'differs in bytes'}")
        except (Mismatch, Exception) as error:  # a parse error is a failure too
            failures += 1
            print(f"FAIL {kind}: {error}")
    print(f"python protobuf checked {total} values in {len(SAMPLES)} Fleet frames: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
