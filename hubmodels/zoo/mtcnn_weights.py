"""Reads the `mtcnn` wheel's weight files (lz4-compressed joblib pickles) without joblib.

Each file, `mtcnn/assets/weights/{pnet,rnet,onet}.lz4`, is an lz4 frame around a
joblib pickle of a list of numpy arrays (a Keras model's `get_weights()`). joblib
pickles an array as a `joblib.numpy_pickle.NumpyArrayWrapper` object whose state
(a dict) holds `subclass` (numpy.ndarray), `shape`, `order` ("C" or "F"), `dtype`
(pickled as `numpy.dtype(code, False, True)` plus a BUILD of its state tuple, whose
second item is the byte order), `allow_mmap` and, in joblib >= 1.2,
`numpy_array_alignment_bytes`. Right after the BUILD opcode of such a wrapper the
array's bytes follow in the stream, outside the pickle: with an alignment, first one
byte giving a padding length, that many padding bytes, then the raw data.

Unpickling runs code named by the file, so `_ArrayUnpickler.find_class` admits only
those three globals, each mapped to a harmless stand-in of ours, and BUILD acts only
on our stand-ins; everything else is refused with a ModuleFormatError.
"""

import io
import math
import pickle
from pathlib import Path

import numpy as np

from hubmodels.errors import ModuleFormatError

# Plain numeric dtypes only: an object array would be a nested pickle.
_DTYPE_CODES = frozenset(
    "f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 float16 float32 float64 int8 int16 int32 int64 "
    "uint8 uint16 uint32 uint64 bool".split()
)
_BYTE_ORDERS = frozenset("<>|=")


class _NdarrayMarker:
    """Stands for the global numpy.ndarray, which the pickle names as the array's class."""


class _DtypeSpec:
    """Stands for `numpy.dtype(code, align, copy)`; BUILD sets the byte order."""

    def __init__(self, code, align=False, copy=True):
        if not isinstance(code, str) or code not in _DTYPE_CODES:
            raise ModuleFormatError(f"unsupported array dtype {code!r} (numeric dtypes only)")
        self.code = code
        self.byte_order = "="

    def __setstate__(self, state):
        valid = (
            isinstance(state, tuple)
            and len(state) >= 5
            and state[1] in _BYTE_ORDERS
            and state[3] is None  # no field names: not a structured dtype
            and state[4] is None
        )
        if not valid:
            raise ModuleFormatError(f"unexpected dtype state {state!r}")
        self.byte_order = state[1]

    def to_numpy(self) -> np.dtype:
        dtype = np.dtype(self.code)
        return dtype if self.byte_order in "|=" else dtype.newbyteorder(self.byte_order)


class _ArrayHeader:
    """Stands for joblib's NumpyArrayWrapper: what the array's bytes after it are."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise ModuleFormatError(f"an array header's state is {type(state).__name__}")
        shape = state.get("shape")
        valid = (
            isinstance(state.get("subclass"), _NdarrayMarker)
            and isinstance(shape, tuple)
            and all(isinstance(n, int) and n >= 0 for n in shape)
            and state.get("order") in ("C", "F")
            and isinstance(state.get("dtype"), _DtypeSpec)
            and isinstance(state.get("numpy_array_alignment_bytes", 0), int)
        )
        if not valid:
            raise ModuleFormatError(f"unexpected array header {state!r}")
        self.shape = shape
        self.order = state["order"]
        self.dtype = state["dtype"].to_numpy()
        self.alignment = state.get("numpy_array_alignment_bytes", 0)


def _allowed_globals() -> dict:
    return {
        ("joblib.numpy_pickle", "NumpyArrayWrapper"): _ArrayHeader,
        ("numpy", "ndarray"): _NdarrayMarker(),
        ("numpy", "dtype"): _DtypeSpec,
    }


class _ArrayUnpickler(pickle._Unpickler):
    """The pure-Python unpickler (its opcode table can be extended), restricted to arrays.

    After each BUILD of an `_ArrayHeader` it reads the array's bytes and puts the
    array where the header was, as joblib does.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, origin: str):
        super().__init__(file)
        self._origin = origin
        self._allowed = _allowed_globals()

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            expected = ", ".join(sorted(f"{m}.{n}" for m, n in self._allowed))
            raise ModuleFormatError(
                f"{self._origin}: refusing to unpickle the global {module}.{name}; joblib "
                f"arrays only need these globals: {expected}"
            ) from None

    def _load_build(self):
        target = self.stack[-2]
        if not isinstance(target, (_ArrayHeader, _DtypeSpec)):
            raise ModuleFormatError(
                f"{self._origin}: refusing to set the state of a {type(target).__name__}"
            )
        pickle._Unpickler.load_build(self)
        if isinstance(target, _ArrayHeader):
            self.stack[-1] = self._read_array(target)

    dispatch[pickle.BUILD[0]] = _load_build

    def _read_exact(self, n: int, what: str) -> bytes:
        data = self.read(n)
        if len(data) != n:
            raise ModuleFormatError(f"{self._origin} is truncated: it ends inside {what}")
        return data

    def _read_array(self, header: _ArrayHeader) -> np.ndarray:
        if header.alignment:
            padding = self._read_exact(1, "an array's padding")[0]
            if padding > header.alignment:
                raise ModuleFormatError(
                    f"{self._origin}: padding of {padding} bytes for an alignment of "
                    f"{header.alignment}"
                )
            self._read_exact(padding, "an array's padding")
        count = math.prod(header.shape)
        data = self._read_exact(count * header.dtype.itemsize, f"an array {header.shape}")
        array = np.frombuffer(data, dtype=header.dtype).reshape(header.shape, order=header.order)
        return np.array(array, dtype=header.dtype.newbyteorder("="), order="C")


def read_arrays(data: bytes, origin: str = "the pickle") -> list:
    """Uncompressed joblib pickle bytes of a list of arrays -> list of numpy arrays."""
    stream = io.BytesIO(data)
    try:
        value = _ArrayUnpickler(stream, origin).load()
    except ModuleFormatError:
        raise
    except (
        EOFError,
        pickle.UnpicklingError,
        AttributeError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
    ) as error:
        raise ModuleFormatError(
            f"{origin} is not a valid joblib pickle of numpy arrays ({error!r})"
        ) from None
    if stream.read(1):
        raise ModuleFormatError(f"{origin} has data after the end of its pickle")
    if not isinstance(value, list) or not all(isinstance(a, np.ndarray) for a in value):
        raise ModuleFormatError(f"{origin} holds a {type(value).__name__}, expected arrays")
    return value


def load_weights(path) -> list:
    """An lz4-compressed joblib pickle of a list of arrays (mtcnn's .lz4 files) -> arrays."""
    import lz4.frame

    path = Path(path)
    try:
        data = lz4.frame.decompress(path.read_bytes())
    except RuntimeError as error:
        raise ModuleFormatError(f"{path} is not an lz4 frame: {error}") from None
    return read_arrays(data, origin=str(path))
