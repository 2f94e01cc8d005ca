"""Fleet's wire format in Python: frames, envelopes, tensors and spaces (proto/fleet.proto).

Every message is one ``fleet_pb2.Frame``: an envelope and one payload. Numeric arrays travel as
``Tensor`` (dtype, shape, little-endian bytes); here they become numpy arrays and back.
"""
from __future__ import annotations

import itertools

import numpy as np

from . import fleet_pb2 as pb

SCHEMA_VERSION = 1

_NUMPY_OF = {
    pb.DTYPE_FLOAT32: np.dtype("<f4"),
    pb.DTYPE_FLOAT64: np.dtype("<f8"),
    pb.DTYPE_INT32: np.dtype("<i4"),
    pb.DTYPE_INT64: np.dtype("<i8"),
    pb.DTYPE_UINT8: np.dtype("u1"),
    pb.DTYPE_BOOL: np.dtype("u1"),
}
_WIRE_OF = {
    np.dtype("float32"): pb.DTYPE_FLOAT32,
    np.dtype("float64"): pb.DTYPE_FLOAT64,
    np.dtype("int32"): pb.DTYPE_INT32,
    np.dtype("int64"): pb.DTYPE_INT64,
    np.dtype("uint8"): pb.DTYPE_UINT8,
    np.dtype("bool"): pb.DTYPE_BOOL,
}


class WireError(ValueError):
    """A frame or tensor that does not follow the schema."""


def to_numpy(tensor: pb.Tensor) -> np.ndarray:
    """The tensor as a numpy array of its dtype and shape (bool tensors as ``bool``)."""
    if tensor.dtype not in _NUMPY_OF:
        raise WireError(f"unknown dtype {tensor.dtype}")
    dtype = _NUMPY_OF[tensor.dtype]
    shape = tuple(int(d) for d in tensor.shape)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if len(tensor.data) != count * dtype.itemsize:
        raise WireError(f"{len(tensor.data)} data bytes for shape {list(shape)} of dtype {tensor.dtype}")
    array = np.frombuffer(tensor.data, dtype=dtype).reshape(shape)
    if tensor.dtype == pb.DTYPE_BOOL:
        if array.size and array.max() > 1:
            raise WireError("a bool byte other than 0 or 1")
        array = array.astype(bool)
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def optional_numpy(message, field: str, dtype, empty_shape) -> np.ndarray:
    """``message.field`` as a numpy array, or an empty array of ``dtype`` and ``empty_shape`` when
    the optional tensor is absent."""
    if message.HasField(field):
        return to_numpy(getattr(message, field))
    return np.zeros(empty_shape, dtype=dtype)


def fill_tensor(message: pb.Tensor, array) -> pb.Tensor:
    """Writes ``array`` (float32, float64, int32, int64, uint8 or bool) into ``message``."""
    array = np.asarray(array)
    if array.dtype not in _WIRE_OF:
        raise WireError(f"numpy dtype {array.dtype} has no wire dtype")
    message.dtype = _WIRE_OF[array.dtype]
    del message.shape[:]
    message.shape.extend(int(d) for d in array.shape)
    wire = array.astype(np.uint8) if array.dtype == np.bool_ else array.astype(_NUMPY_OF[message.dtype])
    message.data = np.ascontiguousarray(wire).tobytes()
    return message


def fill_space(message: pb.Space, space) -> pb.Space:
    """Writes a Gymnasium ``Discrete`` (start 0) or ``Box`` into ``message``. A ``uint8`` Box (pixels)
    keeps its bounds as uint8 tensors, which is how the reader knows its observations travel as
    uint8; any other Box travels as float32."""
    from gymnasium import spaces

    if isinstance(space, spaces.Discrete):
        if int(space.start) != 0:
            raise WireError(f"Discrete spaces must start at 0, this one starts at {space.start}")
        message.discrete = int(space.n)
    elif isinstance(space, spaces.Box):
        message.shape.extend(int(d) for d in space.shape)
        dtype = observation_dtype(space)
        fill_tensor(message.low, np.asarray(space.low, dtype=dtype))
        fill_tensor(message.high, np.asarray(space.high, dtype=dtype))
    else:
        raise WireError(f"{type(space).__name__} spaces are not supported (Discrete and Box are)")
    return message


def space_from(message: pb.Space):
    """The Gymnasium space a ``Space`` message describes."""
    from gymnasium import spaces

    if message.discrete > 0:
        return spaces.Discrete(int(message.discrete))
    shape = tuple(int(d) for d in message.shape)
    low, high = to_numpy(message.low), to_numpy(message.high)
    dtype = np.uint8 if low.dtype == np.uint8 else np.float32
    return spaces.Box(low=low, high=high, shape=shape, dtype=dtype)


def observation_dtype(space) -> np.dtype:
    """How a Box's values travel: ``uint8`` for a uint8 Box (pixels, one byte each), else ``float32``."""
    return np.dtype(np.uint8) if np.dtype(space.dtype) == np.uint8 else np.dtype(np.float32)


class Sender:
    """Stamps frames with one sender's envelope: (sender id, incarnation, sequence), the sequence
    growing by one per frame."""

    def __init__(self, sender_id: str, incarnation: int):
        self.sender_id = sender_id
        self.incarnation = incarnation
        self._sequence = itertools.count()

    def frame(self) -> pb.Frame:
        """A new frame with this sender's next envelope; set one payload on it."""
        frame = pb.Frame()
        frame.envelope.schema_version = SCHEMA_VERSION
        frame.envelope.sender_id = self.sender_id
        frame.envelope.incarnation = self.incarnation
        frame.envelope.sequence = next(self._sequence)
        return frame


def decode(data: bytes) -> pb.Frame:
    """Parses a frame and checks its schema version."""
    frame = pb.Frame()
    try:
        frame.ParseFromString(data)
    except Exception as error:  # protobuf raises DecodeError, or others on bad bytes
        raise WireError(f"not a fleet.v1.Frame: {error}") from error
    if frame.envelope.schema_version != SCHEMA_VERSION:
        raise WireError(f"schema version {frame.envelope.schema_version}, this reader knows {SCHEMA_VERSION}")
    if frame.WhichOneof("payload") is None:
        raise WireError("a frame without a payload")
    return frame


# The reward protocol: texts travel as one UTF-8 blob per field with [B + 1] int64 offsets.

REWARD_FAILURES = ("raised", "timeout", "worker_died", "bad_result", "not_finite", "bad_request")
MAX_REWARD_ITEMS = 65_536
MAX_REWARD_TEXT_BYTES = 1 << 20
MAX_REWARD_DETAIL_BYTES = 4096


class RewardItems:
    """The items of a ``RewardRequest`` as Python lists, one entry per response: ``prompt_ids``
    (int), ``prompts``, ``responses``, ``answers``, ``metadata`` (str: a JSON object's text, or
    empty) and ``truncated`` (bool)."""

    def __init__(self, prompt_ids, prompts, responses, answers, metadata, truncated):
        self.prompt_ids = list(prompt_ids)
        self.prompts = list(prompts)
        self.responses = list(responses)
        self.answers = list(answers)
        self.metadata = list(metadata)
        self.truncated = list(truncated)

    def __len__(self):
        return len(self.prompt_ids)


def _texts(blob: bytes, offsets: pb.Tensor, count: int, name: str) -> list[str]:
    bounds = to_numpy(offsets)
    if bounds.dtype != np.int64 or bounds.shape != (count + 1,):
        raise WireError(f"{name} offsets of shape {list(bounds.shape)} {bounds.dtype}, expected [{count + 1}] int64")
    if bounds[0] != 0 or bounds[-1] != len(blob) or np.any(np.diff(bounds) < 0):
        raise WireError(f"{name} offsets do not run from 0 to {len(blob)} without decreasing")
    texts = []
    for i in range(count):
        piece = blob[bounds[i]:bounds[i + 1]]
        if len(piece) > MAX_REWARD_TEXT_BYTES:
            raise WireError(f"{name} item {i} holds {len(piece)} bytes, at most {MAX_REWARD_TEXT_BYTES}")
        try:
            texts.append(piece.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise WireError(f"{name} item {i} is not valid UTF-8: {error}") from error
    return texts


def reward_items(message: pb.RewardRequest) -> RewardItems:
    """The items of a ``RewardRequest``, checked as Fleet checks them (shapes, offsets, UTF-8, limits)."""
    ids = to_numpy(message.prompt_ids)
    if ids.dtype != np.int64 or ids.ndim != 1:
        raise WireError(f"prompt_ids of shape {list(ids.shape)} {ids.dtype}, expected [B] int64")
    count = ids.shape[0]
    if count > MAX_REWARD_ITEMS:
        raise WireError(f"{count} items, at most {MAX_REWARD_ITEMS}")
    truncated = to_numpy(message.truncated)
    if truncated.dtype != bool or truncated.shape != (count,):
        raise WireError(f"truncated of shape {list(truncated.shape)} {truncated.dtype}, expected [{count}] bool")
    return RewardItems(
        prompt_ids=[int(i) for i in ids],
        prompts=_texts(message.prompts, message.prompt_offsets, count, "prompts"),
        responses=_texts(message.responses, message.response_offsets, count, "responses"),
        answers=_texts(message.answers, message.answer_offsets, count, "answers"),
        metadata=_texts(message.metadata, message.metadata_offsets, count, "metadata"),
        truncated=[bool(t) for t in truncated],
    )


def _fill_texts(message: pb.RewardRequest, blob_field: str, offsets_field: str, texts) -> None:
    encoded = [text.encode("utf-8") for text in texts]
    setattr(message, blob_field, b"".join(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(piece) for piece in encoded], dtype=np.int64)
    fill_tensor(getattr(message, offsets_field), offsets)


def fill_reward_request(message: pb.RewardRequest, items: RewardItems) -> pb.RewardRequest:
    """Writes ``items`` into ``message`` (no items: a ping)."""
    fill_tensor(message.prompt_ids, np.asarray(items.prompt_ids, dtype=np.int64).reshape(len(items)))
    _fill_texts(message, "prompts", "prompt_offsets", items.prompts)
    _fill_texts(message, "responses", "response_offsets", items.responses)
    _fill_texts(message, "answers", "answer_offsets", items.answers)
    _fill_texts(message, "metadata", "metadata_offsets", items.metadata)
    fill_tensor(message.truncated, np.asarray(items.truncated, dtype=bool).reshape(len(items)))
    return message


def fill_reward_reply(message: pb.RewardReply, request_sequence: int, rewards=None, failure: str = "",
                      detail: str = "") -> pb.RewardReply:
    """Writes the answer to request ``request_sequence``: ``rewards`` (finite floats), or a
    ``failure`` label (one of ``REWARD_FAILURES``) with a ``detail`` cut to its wire limit."""
    message.request_sequence = request_sequence
    if failure:
        message.failure = failure
        encoded = detail.encode("utf-8")
        if len(encoded) > MAX_REWARD_DETAIL_BYTES:
            detail = encoded[:MAX_REWARD_DETAIL_BYTES - 3].decode("utf-8", errors="ignore") + "..."
        message.detail = detail
    else:
        fill_tensor(message.rewards, np.asarray(rewards, dtype=np.float64).reshape(-1))
    return message
