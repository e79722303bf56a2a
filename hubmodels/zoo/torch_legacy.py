"""Reads PyTorch's legacy (non-zip) checkpoint format into numpy arrays, without torch.

A legacy file (`torch.save(obj, f, _use_new_zipfile_serialization=False)`, the
default before torch 1.6) is five parts written one after the other:

1. a pickled int, the magic number 0x1950a86a20f9469cfc6c;
2. a pickled int, the protocol version 1001;
3. a pickled dict of sys info: `little_endian`, `protocol_version`, `type_sizes`;
4. the pickled object (here a state dict). Each tensor is pickled as
   `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`
   and each storage as the persistent id
   `("storage", torch.<Type>Storage, key, location, numel, view_metadata)`;
5. a pickled list of storage keys, then for each key an int64 element count and
   the storage's raw bytes.

Unpickling runs code named by the file, so every pickle here goes through
`_RestrictedUnpickler`, whose `find_class` maps the few globals a state dict
needs to our own harmless functions and refuses every other global.
"""

import collections
import dataclasses
import pickle
import zipfile
from pathlib import Path

import numpy as np

from hubmodels.errors import ModuleFormatError

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

_STORAGE_DTYPES = {
    "FloatStorage": "f4",
    "DoubleStorage": "f8",
    "HalfStorage": "f2",
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "b1",
}


@dataclasses.dataclass(frozen=True)
class _StorageType:
    """Stands for `torch.<name>`, e.g. `torch.FloatStorage`; `dtype` is a numpy type code."""

    name: str
    dtype: str


@dataclasses.dataclass(frozen=True)
class _StorageRef:
    """A storage named in the pickle; its bytes follow the pickle in the file."""

    key: str
    storage_type: _StorageType
    numel: int


@dataclasses.dataclass(frozen=True)
class _TensorRef:
    """A tensor as `_rebuild_tensor_v2` describes it, all counts in elements."""

    storage: _StorageRef
    offset: int
    shape: tuple
    stride: tuple


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks, *metadata):
    if not isinstance(storage, _StorageRef):
        raise ModuleFormatError(f"a tensor's storage is {type(storage).__name__}, not a storage")
    shape, stride = tuple(size), tuple(stride)
    if not all(isinstance(n, int) and n >= 0 for n in (storage_offset, *shape, *stride)):
        raise ModuleFormatError(f"a tensor has an invalid offset, size or stride: {size} {stride}")
    return _TensorRef(storage, storage_offset, shape, stride)


def _allowed_globals() -> dict:
    # New objects for every load: a pickle's BUILD opcode can set attributes on what
    # find_class returns, and must not reach objects that other loads share.
    allowed = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): lambda *args: _rebuild_tensor_v2(*args),
    }
    for name, dtype in _STORAGE_DTYPES.items():
        allowed[("torch", name)] = _StorageType(name, dtype)
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only the globals of `allowed`; storages become `_StorageRef`s in `storages`."""

    def __init__(self, file, path: Path, allowed: dict, storages: dict):
        super().__init__(file)
        self._path = path
        self._allowed = allowed
        self._storages = storages

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            expected = ", ".join(sorted(f"{m}.{n}" for m, n in self._allowed)) or "none"
            raise ModuleFormatError(
                f"{self._path}: refusing to unpickle the global {module}.{name}; a PyTorch "
                f"state dict only needs these globals: {expected}"
            ) from None

    def persistent_load(self, pid):
        valid = (
            isinstance(pid, tuple)
            and len(pid) == 6
            and pid[0] == "storage"
            and isinstance(pid[1], _StorageType)
            and isinstance(pid[2], str)
            and isinstance(pid[4], int)
        )
        if not valid:
            raise ModuleFormatError(f"{self._path}: unexpected persistent id {pid!r}")
        _, storage_type, key, _location, numel, view_metadata = pid
        if view_metadata is not None:
            raise ModuleFormatError(f"{self._path}: storage views are not supported ({key})")
        ref = _StorageRef(key, storage_type, numel)
        if self._storages.setdefault(key, ref) != ref:
            raise ModuleFormatError(f"{self._path}: storage {key} is declared twice, differently")
        return ref


def _read_exact(f, n: int, path: Path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ModuleFormatError(
            f"{path} is truncated: it ends inside {what} ({len(data)} of {n} bytes)"
        )
    return data


def _unpickle(f, path: Path, what: str, allowed=None, storages=None):
    unpickler = _RestrictedUnpickler(
        f, path, allowed or {}, storages if storages is not None else {}
    )
    try:
        return unpickler.load()
    except ModuleFormatError:
        raise
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, IndexError, KeyError) as error:
        if not f.read(1):
            raise ModuleFormatError(f"{path} is truncated: it ends inside the {what}") from None
        raise ModuleFormatError(
            f"{path}: the {what} is not a valid pickle of a legacy PyTorch checkpoint ({error})"
        ) from None


def _read_header(f, path: Path) -> str:
    """Checks magic number, protocol version and sys info; returns the byte order '<' or '>'."""
    magic = _unpickle(f, path, "magic number")
    if magic != MAGIC_NUMBER:
        raise ModuleFormatError(
            f"{path} is not a legacy PyTorch checkpoint: magic number {magic!r}, "
            f"expected {MAGIC_NUMBER:#x}"
        )
    version = _unpickle(f, path, "protocol version")
    if version != PROTOCOL_VERSION:
        raise ModuleFormatError(
            f"{path}: legacy protocol version {version!r}, expected {PROTOCOL_VERSION}"
        )
    sys_info = _unpickle(f, path, "sys info")
    if not isinstance(sys_info, dict) or not isinstance(sys_info.get("little_endian"), bool):
        raise ModuleFormatError(f"{path}: sys info {sys_info!r} has no little_endian flag")
    return "<" if sys_info["little_endian"] else ">"


def _read_storages(f, path: Path, storages: dict, byte_order: str) -> dict:
    """Reads the storage key list and the raw storages -> key -> flat numpy array."""
    keys = _unpickle(f, path, "storage key list")
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(storages):
        raise ModuleFormatError(
            f"{path}: the storage key list {keys!r} does not match the storages "
            f"the state dict uses ({sorted(storages)})"
        )
    arrays = {}
    for key in keys:
        ref = storages[key]
        numel = int.from_bytes(
            _read_exact(f, 8, path, f"the size of storage {key}"),
            "little" if byte_order == "<" else "big",
            signed=True,
        )
        if numel != ref.numel:
            raise ModuleFormatError(
                f"{path}: storage {key} holds {numel} elements, the state dict says {ref.numel}"
            )
        dtype = np.dtype(byte_order + ref.storage_type.dtype)
        data = _read_exact(f, numel * dtype.itemsize, path, f"the data of storage {key}")
        arrays[key] = np.frombuffer(data, dtype=dtype)
    return arrays


def _materialise(name: str, tensor: _TensorRef, storage: np.ndarray, path: Path) -> np.ndarray:
    last = tensor.offset + sum((n - 1) * s for n, s in zip(tensor.shape, tensor.stride))
    if 0 not in tensor.shape and last >= storage.size:
        raise ModuleFormatError(
            f"{path}: tensor {name} reaches element {last} of a storage of {storage.size}"
        )
    view = np.lib.stride_tricks.as_strided(
        storage[tensor.offset :],
        shape=tensor.shape,
        strides=tuple(s * storage.itemsize for s in tensor.stride),
        writeable=False,
    )
    return np.array(view, dtype=storage.dtype.newbyteorder("="), order="C")


def load_state_dict(path) -> dict:
    """Reads a legacy-format .pth state dict -> {name: numpy array}, in the file's order.

    Raises ModuleFormatError for zip-format checkpoints, truncated or malformed
    files, and for any pickled global other than those a state dict needs.
    """
    path = Path(path)
    if zipfile.is_zipfile(path):
        raise ModuleFormatError(
            f"{path} is a zip-format PyTorch checkpoint (torch >= 1.6 default); this reader "
            "reads only the legacy format (_use_new_zipfile_serialization=False)"
        )
    storages: dict = {}
    with open(path, "rb") as f:
        byte_order = _read_header(f, path)
        state = _unpickle(f, path, "state dict", _allowed_globals(), storages)
        arrays = _read_storages(f, path, storages, byte_order)
    if not isinstance(state, dict):
        raise ModuleFormatError(f"{path} holds a {type(state).__name__}, expected a state dict")
    result = {}
    for name, value in state.items():
        if not isinstance(value, _TensorRef):
            raise ModuleFormatError(
                f"{path}: entry {name!r} is of type {type(value).__name__}, expected a tensor"
            )
        result[name] = _materialise(name, value, arrays[value.storage.key], path)
    return result
