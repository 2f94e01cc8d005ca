"""Fleet's capture files as numpy arrays (docs/protocol.md, "Capture files").

A capture directory (a run's ``captures/``) holds record files of capture entries, a
``manifest.json`` and the run's ``config.yaml``. Each entry is a batch frame exactly as it arrived
and what became of it: ``consumed`` (the learner trained on it), ``dropped`` (with the reason) or
``sent`` (an actor's own capture).

- ``read_capture(path)``: the entries of one capture file, checksums verified.
- ``trajectories(frame)`` and ``groups(frame)``: a batch's arrays.
- ``load_run(path)``: the batches of a run in order; ``Run.stack()`` makes ``[B, T, N, ...]``
  arrays of its trajectory batches for offline training.
- ``python -m fleet_env captures PATH...``: a short summary.

Damage is handled as Fleet's own reader (``CaptureReader``) does by default: a corrupt record or
one that is not a capture entry is skipped (reading resumes at the next intact record), a torn
tail (a file cut short inside a record) ends the file, and each is listed in ``damage`` and
warned about (``CaptureDamageWarning``). With ``strict=True`` the first one raises
``CaptureError`` instead. A file that is not a record file, or whose header is damaged, always
raises.
"""
from __future__ import annotations

import dataclasses
import errno
import functools
import json
import mmap
import os
import struct
import sys
import warnings

import numpy as np

from . import fleet_pb2 as pb
from .wire import WireError, decode, optional_numpy, to_numpy

MAGIC = b"FLEETREC"
FORMAT_VERSION = 1
MAX_RUN_ID_LENGTH = 1024
LAYOUT_VERSION = 1
MAX_REASON_LENGTH = 1024
MAX_RECORD_LENGTH = (64 << 20) + 32 + MAX_REASON_LENGTH
KINDS = {1: "consumed", 2: "dropped", 3: "sent"}
FILE_EXTENSION = ".fleetrec"
MANIFEST = "manifest.json"

_HEADER_PREFIX = struct.Struct("<8sIIH")
_ENTRY_FIXED = struct.Struct("<BBHIQdd")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


# CRC-32C (Castagnoli), as record files use it.

_POLYNOMIAL = 0x82F63B78


def _byte_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLYNOMIAL if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _byte_table()


def _crc32c_bytewise(data) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


@functools.lru_cache(maxsize=None)
def _zeros_operator(count: int) -> tuple[int, ...]:
    """What a CRC register becomes over ``count`` zero bytes (a power of two), as 32 columns:
    column i is what bit i becomes."""
    if count == 1:
        return tuple(_TABLE[(1 << i) & 0xFF] ^ ((1 << i) >> 8) for i in range(32))
    half = _zeros_operator(count // 2)
    return tuple(_apply_operator(half, column) for column in half)


def _apply_operator(columns, register: int) -> int:
    result = 0
    for column in columns:
        if register & 1:
            result ^= column
        register >>= 1
    return result


@functools.lru_cache(maxsize=None)
def _zeros_tables(count: int) -> tuple[np.ndarray, np.ndarray]:
    """``_zeros_operator(count)`` as two tables of 65536 entries, for a register's low and high 16 bits."""
    columns = np.array(_zeros_operator(count), dtype=np.uint32)
    values = np.arange(65536, dtype=np.uint32)
    low, high = np.zeros(65536, dtype=np.uint32), np.zeros(65536, dtype=np.uint32)
    for bit in range(16):
        has_bit = (values >> bit) & 1 == 1
        low[has_bit] ^= columns[bit]
        high[has_bit] ^= columns[16 + bit]
    return low, high


def crc32c(data) -> int:
    """The CRC-32C of ``data`` (bytes-like).

    Below 1 KiB, a byte-at-a-time table loop (about 10 MiB/s in CPython). Above, numpy checksums
    lanes of 16 or 64 bytes side by side, four bytes a step through two 16-bit tables, then
    combines the lanes' registers pairwise (a CRC is linear: the register of ``a + b`` is that of
    ``a`` carried over ``len(b)`` zero bytes, xor that of ``b``): about 150 MiB/s at 16 KiB,
    300 to 400 MiB/s from 64 KiB.
    """
    data = np.frombuffer(data, dtype=np.uint8)
    if len(data) < 1024:
        return _crc32c_bytewise(data.tobytes())
    lane_words = 4 if len(data) < (128 << 10) else 16
    lanes = -(-len(data) // (4 * lane_words))
    # Zero bytes in front leave a zero register as it is; starting from all ones is starting
    # from zero with the first four bytes inverted.
    padded = np.zeros(lanes * 4 * lane_words, dtype=np.uint8)
    padded[-len(data):] = data
    padded[-len(data):][:4] ^= 0xFF
    words = np.ascontiguousarray(padded.view("<u4").reshape(lanes, lane_words).T)
    low, high = _zeros_tables(4)
    registers = np.zeros(lanes, dtype=np.uint32)
    for word in words:
        registers ^= word
        registers = low[registers & 0xFFFF] ^ high[registers >> 16]
    span = 4 * lane_words
    while len(registers) > 1:
        if len(registers) % 2:
            registers = np.concatenate([np.zeros(1, dtype=np.uint32), registers])
        low, high = _zeros_tables(span)
        left = registers[0::2]
        registers = low[left & 0xFFFF] ^ high[left >> 16] ^ registers[1::2]
        span *= 2
    return int(registers[0]) ^ 0xFFFFFFFF


def mask(crc: int) -> int:
    """The TFRecord mask record files store instead of a CRC."""
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    """The CRC that ``mask`` turned into ``masked``."""
    rotated = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rotated >> 17) | (rotated << 15)) & 0xFFFFFFFF


# Record files and capture entries.


class CaptureError(Exception):
    """A capture file that cannot be read: the message starts with the file's path, and names the
    record's offset when a record is at fault."""

    def __init__(self, path: str, detail: str, offset: int | None = None):
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.detail = detail
        self.offset = offset


class CaptureDamageWarning(UserWarning):
    """Damage skipped by a lenient read (``Damage``)."""


@dataclasses.dataclass(frozen=True)
class Damage:
    """A damaged stretch of a capture file: ``torn_tail``, ``corrupt_record`` or ``bad_entry``."""

    file: str
    offset: int
    kind: str
    detail: str
    skipped_bytes: int


@dataclasses.dataclass(frozen=True)
class Header:
    """A record file's header."""

    format_version: int
    schema_version: int
    run_id: str
    size: int


@dataclasses.dataclass
class Entry:
    """One capture entry: a batch frame and what became of it.

    ``learner_version`` is the learner's weights version when it trained on (or dropped) the batch;
    for ``sent``, the version the actor held. ``arrival_seconds`` counts from the learner's start
    to the batch's arrival (for ``sent``, from the actor's start to the send); ``event_seconds``
    to the update or the drop (for ``sent``, the send again).
    """

    kind: str
    learner_version: int
    arrival_seconds: float
    event_seconds: float
    reason: str
    frame_bytes: bytes
    file: str
    offset: int

    @functools.cached_property
    def frame(self) -> pb.Frame:
        """The decoded ``fleet_pb2.Frame``."""
        try:
            return decode(self.frame_bytes)
        except WireError as error:
            raise CaptureError(self.file, f"record at offset {self.offset}: {error}", self.offset) from error

    @property
    def payload(self) -> str:
        """The frame's payload kind: ``trajectory_batch``, ``group_batch``, ..."""
        return self.frame.WhichOneof("payload")

    @property
    def policy_version(self) -> int:
        """The weights version the batch was made with."""
        return getattr(self.frame, self.payload).policy_version

    @property
    def lag(self) -> int:
        """``learner_version - policy_version``: the batch's policy lag."""
        return self.learner_version - self.policy_version


def _read_header(data, path: str) -> Header:
    if data[:8] != MAGIC[: len(data)]:
        raise CaptureError(path, "not a record file (bad magic)")
    if len(data) < _HEADER_PREFIX.size:
        raise CaptureError(path, f"record file ends inside its header ({len(data)} bytes)")
    _, format_version, schema_version, run_id_length = _HEADER_PREFIX.unpack_from(data, 0)
    if format_version != FORMAT_VERSION:
        raise CaptureError(path, f"unsupported record file format version {format_version}")
    if run_id_length > MAX_RUN_ID_LENGTH:
        raise CaptureError(path, "record file header is corrupt")
    size = _HEADER_PREFIX.size + run_id_length + 4
    if len(data) < size:
        raise CaptureError(path, f"record file ends inside its header ({len(data)} bytes)")
    if unmask(_U32.unpack_from(data, size - 4)[0]) != crc32c(data[: size - 4]):
        raise CaptureError(path, "record file header is corrupt")
    try:
        run_id = bytes(data[_HEADER_PREFIX.size : size - 4]).decode("utf-8")
    except UnicodeDecodeError:
        raise CaptureError(path, "record file header is corrupt") from None
    return Header(format_version, schema_version, run_id, size)


def _parse_entry(record: bytes, path: str, offset: int) -> Entry:
    """The entry a record holds; raises ``ValueError`` with the reason for one that is not."""
    if len(record) < _ENTRY_FIXED.size:
        raise ValueError(f"a capture entry of {len(record)} bytes, shorter than its fixed fields")
    layout, kind, reason_length, _, learner_version, arrival, event = _ENTRY_FIXED.unpack_from(record, 0)
    if layout != LAYOUT_VERSION:
        raise ValueError(f"capture entry layout version {layout}, this reader reads {LAYOUT_VERSION}")
    if kind not in KINDS:
        raise ValueError(f"unknown capture entry kind {kind}")
    end = _ENTRY_FIXED.size + reason_length
    if reason_length > MAX_REASON_LENGTH or end > len(record):
        raise ValueError(f"capture entry reason length {reason_length} does not fit")
    try:
        reason = record[_ENTRY_FIXED.size : end].decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("capture entry reason is not UTF-8") from None
    return Entry(KINDS[kind], learner_version, arrival, event, reason, record[end:], path, offset)


class _Corrupt(Exception):
    """A record whose checksum does not match; ``length`` when its length field checked."""

    def __init__(self, detail: str, length: int | None):
        super().__init__(detail)
        self.length = length


class CaptureFile:
    """The entries of one capture file, read in order each time it is iterated.

    ``header`` is set once iteration has begun, ``damage`` lists what the last iteration skipped.
    """

    def __init__(self, path, verify: bool = True, strict: bool = False):
        self.path = os.fspath(path)
        self.verify = verify
        self.strict = strict
        self.header: Header | None = None
        self.damage: list[Damage] = []

    def __iter__(self):
        self.damage = []
        try:
            file = open(self.path, "rb")
        except OSError as error:
            raise CaptureError(self.path, error.strerror or str(error)) from None
        with file:
            size = os.fstat(file.fileno()).st_size
            data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            try:
                self.header = _read_header(data, self.path)
                yield from self._entries(data, self.header.size, size)
            finally:
                if size:
                    data.close()

    def _entries(self, data, offset: int, size: int):
        while offset < size:
            try:
                length = self._length(data, offset, size)
            except _Corrupt as corrupt:
                offset = self._skip_corrupt(data, offset, size, corrupt)
                continue
            if length is None:
                self._report(Damage(self.path, offset, "torn_tail",
                                    f"record file ends inside the record at offset {offset}", size - offset))
                return
            record = data[offset + 12 : offset + 12 + length]
            if self.verify and unmask(_U32.unpack_from(data, offset + 12 + length)[0]) != crc32c(record):
                offset = self._skip_corrupt(data, offset, size, _Corrupt(f"corrupt record data at offset {offset}", length))
                continue
            try:
                entry = _parse_entry(record, self.path, offset)
            except ValueError as error:
                self._report(Damage(self.path, offset, "bad_entry", f"record at offset {offset}: {error}", 16 + length))
            else:
                yield entry
            offset += 16 + length

    @staticmethod
    def _length(data, offset: int, size: int) -> int | None:
        """The checked data length of the record at ``offset``; None for a torn tail."""
        if size - offset < 12:
            return None
        length_bytes = data[offset : offset + 8]
        if unmask(_U32.unpack_from(data, offset + 8)[0]) != _crc32c_bytewise(length_bytes):
            raise _Corrupt(f"corrupt record length at offset {offset}", None)
        length = _U64.unpack(length_bytes)[0]
        if length > MAX_RECORD_LENGTH:
            raise _Corrupt(f"record at offset {offset} is {length} bytes, more than the maximum", length)
        return length if length <= size - offset - 16 else None

    def _skip_corrupt(self, data, offset: int, size: int, corrupt: _Corrupt) -> int:
        """Reports a corrupt record and returns where reading resumes, as Fleet's reader does: where
        a checked length says the record ends, else at the next intact record found byte by byte."""
        if self.strict:
            raise CaptureError(self.path, str(corrupt), offset)
        if corrupt.length is not None:
            resume = offset + 16 + corrupt.length if corrupt.length <= size - offset - 16 else size
        else:
            resume = self._next_record(data, offset + 1, size)
        self._report(Damage(self.path, offset, "corrupt_record", str(corrupt), resume - offset))
        return resume

    def _next_record(self, data, start: int, size: int) -> int:
        """The first offset from ``start`` where an intact record starts; else the first whose length
        checks but runs past the end of the file (a torn tail); else the end of the file."""
        torn = None
        # A length of at most MAX_RECORD_LENGTH has four zero high bytes: look there first.
        position = data.find(b"\0\0\0\0", start + 4)
        while position != -1 and position + 8 <= size:
            candidate = position - 4
            try:
                length = self._length(data, candidate, size)
            except _Corrupt:
                pass
            else:
                if length is None:
                    torn = candidate if torn is None else torn
                elif unmask(_U32.unpack_from(data, candidate + 12 + length)[0]) == crc32c(data[candidate + 12 : candidate + 12 + length]):
                    return candidate
            position = data.find(b"\0\0\0\0", position + 1)
        return size if torn is None else torn

    def _report(self, damage: Damage):
        if self.strict:
            raise CaptureError(self.path, damage.detail, damage.offset)
        self.damage.append(damage)
        warnings.warn(f"{damage.file}: {damage.detail} ({damage.skipped_bytes} bytes skipped)", CaptureDamageWarning, stacklevel=3)


def read_capture(path, verify: bool = True, strict: bool = False) -> CaptureFile:
    """The entries (``Entry``) of the capture file at ``path``, in order: ``for entry in read_capture(path)``.

    Header and length checksums are always checked; ``verify`` checks each record's data checksum
    too (the costly part). Damage is skipped and listed in the result's ``damage`` unless
    ``strict`` (see the module's documentation).
    """
    return CaptureFile(path, verify=verify, strict=strict)


# Batches as arrays.


def _batch(frame, payload: str):
    if isinstance(frame, Entry):
        frame = frame.frame
    if frame.WhichOneof("payload") != payload:
        raise WireError(f"a {frame.WhichOneof('payload')} frame, not a {payload}")
    return getattr(frame, payload)


def trajectories(frame) -> dict:
    """The arrays of a ``TrajectoryBatch`` frame (or ``Entry``), ``[T, N, ...]``, with its
    ``policy_version``, ``num_steps`` and ``num_envs``.

    ``observations`` ``[T, N, *obs]``, ``actions`` ``[T, N]`` int64 or ``[T, N, act]`` float32,
    ``rewards``, ``terminated``, ``truncated``, ``behaviour_log_probs`` ``[T, N]``,
    ``next_observations`` ``[N, *obs]``, ``final_observation_steps`` ``[K]`` (flat ``t * N + n``),
    ``final_observations`` ``[K, *obs]``, ``episode_returns`` and ``episode_lengths`` ``[E]``;
    absent optional tensors are empty arrays.
    """
    batch = _batch(frame, "trajectory_batch")
    arrays = {
        name: to_numpy(getattr(batch, name))
        for name in ("observations", "actions", "rewards", "terminated", "truncated", "behaviour_log_probs", "next_observations")
    }
    observations = arrays["observations"]
    steps, envs = batch.num_steps, batch.num_envs
    if observations.shape[:2] != (steps, envs) or arrays["rewards"].shape != (steps, envs):
        raise WireError(f"observations {list(observations.shape)} and rewards {list(arrays['rewards'].shape)} for T={steps}, N={envs}")
    arrays["final_observation_steps"] = optional_numpy(batch, "final_observation_steps", np.int64, (0,))
    arrays["final_observations"] = optional_numpy(batch, "final_observations", observations.dtype, (0, *observations.shape[2:]))
    arrays["episode_returns"] = optional_numpy(batch, "episode_returns", np.float32, (0,))
    arrays["episode_lengths"] = optional_numpy(batch, "episode_lengths", np.int64, (0,))
    return {"policy_version": batch.policy_version, "num_steps": steps, "num_envs": envs, **arrays}


def groups(frame) -> dict:
    """The arrays of a ``GroupBatch`` frame (or ``Entry``): P prompts with G responses each.

    Per prompt: ``prompt_ids`` ``[P]``, ``prompts`` (a list of P int32 token arrays). Per
    response, indexed ``[p][g]``: ``responses`` and ``response_log_probs`` (lists of P lists of G
    arrays, views of the flat ones), ``rewards``, ``truncated`` and ``response_lengths``
    ``[P, G]``. The wire's flat arrays stay too: ``prompt_tokens``/``prompt_offsets``,
    ``response_tokens``/``response_offsets`` and ``behaviour_log_probs`` (item i spans
    ``offsets[i]:offsets[i + 1]``, response ``p * G + g``). Also ``policy_version`` and
    ``group_size``.
    """
    batch = _batch(frame, "group_batch")
    size = batch.group_size
    arrays = {
        name: to_numpy(getattr(batch, name))
        for name in ("prompt_ids", "prompt_tokens", "prompt_offsets", "response_tokens", "response_offsets",
                     "behaviour_log_probs", "rewards", "truncated")
    }
    prompts = len(arrays["prompt_ids"])
    if size == 0 or len(arrays["prompt_offsets"]) != prompts + 1 or len(arrays["response_offsets"]) != prompts * size + 1:
        raise WireError(f"offsets of {len(arrays['prompt_offsets'])} and {len(arrays['response_offsets'])} for P={prompts}, G={size}")
    offsets = arrays["response_offsets"]
    flat_responses = _split(arrays["response_tokens"], offsets)
    flat_log_probs = _split(arrays["behaviour_log_probs"], offsets)
    return {
        "policy_version": batch.policy_version,
        "group_size": size,
        **arrays,
        "prompts": _split(arrays["prompt_tokens"], arrays["prompt_offsets"]),
        "responses": [flat_responses[p * size : (p + 1) * size] for p in range(prompts)],
        "response_log_probs": [flat_log_probs[p * size : (p + 1) * size] for p in range(prompts)],
        "rewards": arrays["rewards"].reshape(prompts, size),
        "truncated": arrays["truncated"].reshape(prompts, size),
        "response_lengths": np.diff(offsets).reshape(prompts, size),
    }


def _split(flat: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(flat) or np.any(np.diff(offsets) < 0):
        raise WireError(f"offsets do not split {len(flat)} items")
    return [flat[start:end] for start, end in zip(offsets[:-1], offsets[1:])]


def stack_trajectories(batches: list[dict]) -> dict:
    """Trajectory batches (``trajectories`` dicts) of one shape as ``[B, ...]`` arrays.

    ``observations`` ``[B, T, N, *obs]``, ``actions``, ``rewards``, ``terminated``, ``truncated``,
    ``behaviour_log_probs`` ``[B, T, N, ...]``, ``next_observations`` ``[B, N, *obs]``,
    ``policy_versions`` ``[B]`` (and ``learner_versions`` when the dicts have ``learner_version``).
    ``successor_observations`` ``[B, T, N, *obs]`` is the observation each step led to: the next
    row's, ``next_observations`` after the last row, the final observation after a truncated step;
    after a terminated step it is the next episode's first (the terminal observation is not
    captured), so mask those with ``terminated``. The ragged ones are concatenated:
    ``final_observations`` ``[K, *obs]`` with ``final_observation_steps`` as flat indices
    ``(b * T + t) * N + n``, ``episode_returns`` and ``episode_lengths`` ``[E]`` with
    ``episode_batches`` ``[E]``, the batch each episode finished in.
    """
    if not batches:
        raise ValueError("no trajectory batches to stack")
    shapes = {(b["observations"].shape, b["actions"].shape) for b in batches}
    if len(shapes) > 1:
        raise ValueError(f"trajectory batches of different shapes: {sorted(shapes)}")
    stacked = {
        name: np.stack([b[name] for b in batches])
        for name in ("observations", "actions", "rewards", "terminated", "truncated", "behaviour_log_probs", "next_observations")
    }
    count, steps, envs = stacked["rewards"].shape
    successors = np.concatenate([stacked["observations"][:, 1:], stacked["next_observations"][:, None]], axis=1)
    final_steps = np.concatenate([b["final_observation_steps"] + i * steps * envs for i, b in enumerate(batches)])
    final_observations = np.concatenate([b["final_observations"] for b in batches])
    successors.reshape(count * steps * envs, *successors.shape[3:])[final_steps] = final_observations
    stacked.update(
        successor_observations=successors,
        final_observation_steps=final_steps,
        final_observations=final_observations,
        episode_returns=np.concatenate([b["episode_returns"] for b in batches]),
        episode_lengths=np.concatenate([b["episode_lengths"] for b in batches]),
        episode_batches=np.concatenate([np.full(len(b["episode_returns"]), i, dtype=np.int64) for i, b in enumerate(batches)]),
        policy_versions=np.array([b["policy_version"] for b in batches], dtype=np.int64),
    )
    if all("learner_version" in b for b in batches):
        stacked["learner_versions"] = np.array([b["learner_version"] for b in batches], dtype=np.int64)
    return stacked


def stack_groups(batches: list[dict]) -> dict:
    """Group batches (``groups`` dicts) with one group size as per-prompt arrays over all of them.

    ``prompt_ids``, ``policy_versions`` ``[P]`` (and ``learner_versions`` when the dicts have
    ``learner_version``), ``batch_index`` ``[P]`` (the batch each prompt came from), ``rewards``,
    ``truncated``, ``response_lengths`` ``[P, G]``, and the lists ``prompts``, ``responses`` and
    ``response_log_probs`` (``[p][g]``).
    """
    if not batches:
        raise ValueError("no group batches to stack")
    sizes = {b["group_size"] for b in batches}
    if len(sizes) > 1:
        raise ValueError(f"group batches of different group sizes: {sorted(sizes)}")
    per_prompt = [np.full(len(b["prompt_ids"]), 0, dtype=np.int64) for b in batches]
    stacked = {name: np.concatenate([b[name] for b in batches]) for name in ("prompt_ids", "rewards", "truncated", "response_lengths")}
    stacked["policy_versions"] = np.concatenate([p + b["policy_version"] for p, b in zip(per_prompt, batches)])
    if all("learner_version" in b for b in batches):
        stacked["learner_versions"] = np.concatenate([p + b["learner_version"] for p, b in zip(per_prompt, batches)])
    stacked["batch_index"] = np.concatenate([p + i for i, p in enumerate(per_prompt)])
    for name in ("prompts", "responses", "response_log_probs"):
        stacked[name] = [item for b in batches for item in b[name]]
    return stacked


# Runs.


def _capture_files(path: str, kinds: set[str]) -> tuple[str | None, dict | None, list[str]]:
    """A capture path's directory, manifest and files of ``kinds`` in reading order, as Fleet's
    ``CaptureSelection`` resolves them: a run directory stands for its ``captures/``, a capture
    directory for the files its manifest lists (then actors' unlisted ``sent`` files by name) or,
    without a manifest, its files by name; a file for itself."""
    if not os.path.exists(path):
        raise CaptureError(path, os.strerror(errno.ENOENT))
    if not os.path.isdir(path):
        return None, None, [path]
    if not os.path.exists(os.path.join(path, MANIFEST)) and os.path.isdir(os.path.join(path, "captures")):
        path = os.path.join(path, "captures")
    names = sorted(
        name for name in os.listdir(path)
        if name.endswith(FILE_EXTENSION) and any(name.startswith(f"{k}-") or f"-{k}-" in name for k in kinds)
    )
    manifest = None
    if os.path.exists(os.path.join(path, MANIFEST)):
        manifest = _read_manifest(os.path.join(path, MANIFEST))
        listed = [f["name"] for f in manifest["files"] if f["kind"] in kinds]
        unlisted = [name for name in names if "-sent-" in name and name not in listed]
        names = listed + unlisted
    if not names:
        raise CaptureError(path, "neither a capture directory nor a capture file")
    return path, manifest, [os.path.join(path, name) for name in names]


def _read_manifest(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            manifest = json.load(file)
        if manifest.get("format") != "fleet-capture" or manifest.get("version") != 1:
            raise ValueError(f"format {manifest.get('format')} version {manifest.get('version')}, expected fleet-capture 1")
        if not all(isinstance(f.get("name"), str) and isinstance(f.get("kind"), str) for f in manifest["files"]):
            raise ValueError("a file without a name or kind")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise CaptureError(path, f"not a capture manifest: {error}") from None
    return manifest


@dataclasses.dataclass
class Run:
    """The entries of a run's capture files, in the order they were written.

    ``directory`` is the capture directory (None for files given alone), ``manifest`` its
    ``manifest.json`` (``run_id``, ``algorithm``, ``subject``, ``seed``, ``updates``,
    ``policy_version``, ``weights_sha256``, ...), ``damage`` what the reads skipped.
    """

    directory: str | None
    manifest: dict | None
    files: list[str]
    entries: list[Entry]
    damage: list[Damage]

    @property
    def config_path(self) -> str | None:
        """The run's resolved config (``config.yaml``), when the manifest names one."""
        if self.directory is None or self.manifest is None:
            return None
        return os.path.join(self.directory, self.manifest["config"])

    def of_kind(self, kind: str = "consumed") -> list[Entry]:
        """The entries of one kind, in order."""
        return [entry for entry in self.entries if entry.kind == kind]

    def trajectory_batches(self, kind: str = "consumed") -> list[dict]:
        """``trajectories`` of each trajectory batch of ``kind``, with its ``learner_version``."""
        return [
            {**trajectories(entry), "learner_version": entry.learner_version}
            for entry in self.of_kind(kind) if entry.payload == "trajectory_batch"
        ]

    def stack(self, kind: str = "consumed") -> dict:
        """The trajectory batches of ``kind`` as ``[B, T, N, ...]`` arrays (``stack_trajectories``)."""
        return stack_trajectories(self.trajectory_batches(kind))

    def group_batches(self, kind: str = "consumed") -> list[dict]:
        """``groups`` of each group batch of ``kind``, with its ``learner_version``, each batch once.

        An update of a group run takes exactly ``train_batch_size`` groups, splitting the batch
        that would overshoot: that batch is captured in this update and again as the next
        update's first entry, which this leaves out (as ``fleet replay`` does). Its later groups
        were trained in the next update, under the first entry's ``learner_version``.
        """
        batches, previous = [], None
        for entry in self.of_kind(kind):
            if entry.payload != "group_batch":
                continue
            continues_split = (
                kind == "consumed" and previous is not None
                and entry.learner_version != previous.learner_version and entry.frame_bytes == previous.frame_bytes
            )
            if not continues_split:
                batches.append({**groups(entry), "learner_version": entry.learner_version})
            previous = entry
        return batches

    def stack_groups(self, kind: str = "consumed") -> dict:
        """The group batches of ``kind`` (``group_batches``) as per-prompt arrays (``stack_groups``)."""
        return stack_groups(self.group_batches(kind))


def load_run(path, kinds=("consumed",), verify: bool = True, strict: bool = False) -> Run:
    """Reads a run's captured batches: ``path`` is a run directory, its ``captures/``, a capture
    file, or a list of them (read in that order).

    ``kinds`` selects ``consumed`` (what the learner trained on, in order), ``dropped`` and
    ``sent``; None reads all three. ``verify`` and ``strict`` are as for ``read_capture``.
    """
    kinds = set(KINDS.values()) if kinds is None else {kinds} if isinstance(kinds, str) else set(kinds)
    unknown = kinds - set(KINDS.values())
    if unknown:
        raise ValueError(f"unknown capture entry kinds {sorted(unknown)}")
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    directory = manifest = None
    files, entries, damage = [], [], []
    for item in paths:
        item_directory, item_manifest, item_files = _capture_files(os.fspath(item), kinds)
        if directory is None:
            directory, manifest = item_directory, item_manifest
        for file in item_files:
            capture = read_capture(file, verify=verify, strict=strict)
            entries.extend(capture)
            damage.extend(capture.damage)
        files += item_files
    return Run(directory, manifest, files, entries, damage)


# Command line.


def summary(run: Run) -> str:
    """A few lines about a run's capture: its files, entries by kind, and what the batches hold."""
    lines = []
    if run.manifest is not None:
        m = run.manifest
        state = "complete" if m.get("complete") else "incomplete"
        lines.append(f"run        {m['run_id']}: {m['algorithm']} on {m['subject']}, seed {m['seed']}, {state}")
    size = sum(os.path.getsize(f) for f in run.files)
    lines.append(f"files      {len(run.files)} ({size:,} bytes)")
    counts = {kind: len(run.of_kind(kind)) for kind in KINDS.values()}
    lines.append(f"entries    {len(run.entries)} ({', '.join(f'{n} {kind}' for kind, n in counts.items())})")
    reasons = {}
    for entry in run.of_kind("dropped"):
        reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
    if reasons:
        lines.append(f"           dropped: {', '.join(f'{reason} {n}' for reason, n in sorted(reasons.items()))}")
    for kind, count in counts.items():
        if count:
            lines.append(f"{kind:<10} {_content(run, kind)}")
    if run.damage:
        lines.append(f"damage     {len(run.damage)} ({sum(d.skipped_bytes for d in run.damage):,} bytes skipped)")
    return "\n".join(lines)


def _content(run: Run, kind: str) -> str:
    entries = run.of_kind(kind)
    payloads = {}
    for entry in entries:
        payloads[entry.payload] = payloads.get(entry.payload, 0) + 1
    parts = [", ".join(f"{n} {payload}" for payload, n in sorted(payloads.items()))]
    if kind == "consumed":
        updates = len({e.learner_version for e in entries})
        parts.append(f"{updates} update{'' if updates == 1 else 's'}")
    trajectory = [trajectories(e) for e in entries if e.payload == "trajectory_batch"]
    if trajectory:
        steps = sum(b["num_steps"] * b["num_envs"] for b in trajectory)
        returns = np.concatenate([b["episode_returns"] for b in trajectory])
        mean = f", mean return {returns.mean():.4g}" if len(returns) else ""
        parts.append(f"{steps:,} steps, {len(returns)} episodes{mean}")
    group = [groups(e) for e in entries if e.payload == "group_batch"]
    if group:
        rewards = np.concatenate([b["rewards"].reshape(-1) for b in group])
        parts.append(f"{sum(len(b['prompt_ids']) for b in group)} groups, {len(rewards)} responses, mean reward {rewards.mean():.4g}")
    return "; ".join(parts)


def main(argv=None) -> int:
    """``python -m fleet_env captures [--no-verify] PATH...``: summarize captures; exit 1 when a
    path is not a capture or a file is damaged."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m fleet_env captures",
        description="Summarize Fleet capture files: a run directory, its captures/, or capture files.")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--no-verify", action="store_true", help="skip the records' data checksums")
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CaptureDamageWarning)
            run = load_run(args.paths, kinds=None, verify=not args.no_verify)
        text = summary(run)
    except CaptureError as error:
        print(f"fleet_env captures: {error}", file=sys.stderr)
        return 1
    print(text)
    for damage in run.damage:
        print(f"fleet_env captures: {damage.file}: {damage.detail} ({damage.skipped_bytes} bytes skipped)", file=sys.stderr)
    return 1 if run.damage else 0
