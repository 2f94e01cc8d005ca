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
    """Writes a Gymnasium ``Discrete`` (start 0) or ``Box`` into ``message``."""
    from gymnasium import spaces

    if isinstance(space, spaces.Discrete):
        if int(space.start) != 0:
            raise WireError(f"Discrete spaces must start at 0, this one starts at {space.start}")
        message.discrete = int(space.n)
    elif isinstance(space, spaces.Box):
        message.shape.extend(int(d) for d in space.shape)
        fill_tensor(message.low, np.asarray(space.low, dtype=np.float32))
        fill_tensor(message.high, np.asarray(space.high, dtype=np.float32))
    else:
        raise WireError(f"{type(space).__name__} spaces are not supported (Discrete and Box are)")
    return message


def space_from(message: pb.Space):
    """The Gymnasium space a ``Space`` message describes."""
    from gymnasium import spaces

    if message.discrete > 0:
        return spaces.Discrete(int(message.discrete))
    shape = tuple(int(d) for d in message.shape)
    return spaces.Box(low=to_numpy(message.low), high=to_numpy(message.high), shape=shape, dtype=np.float32)


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
