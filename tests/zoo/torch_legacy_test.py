"""The legacy .pth reader: torch-written round trip, refused globals, broken files."""

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hubmodels.errors import ModuleFormatError
from hubmodels.zoo import torch_legacy

DATA = Path(__file__).parent / "data"
TINY = (
    DATA / "tiny_legacy_checkpoint.pth"
)  # written by torch, see scripts/make_reference_efficientnet.py
SYS_INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}}


def _header(sys_info=SYS_INFO) -> bytes:
    return b"".join(
        pickle.dumps(part, protocol=2)
        for part in (torch_legacy.MAGIC_NUMBER, torch_legacy.PROTOCOL_VERSION, sys_info)
    )


def _call_global(module: str, name: str, argument: str) -> bytes:
    """A protocol-2 pickle that calls module.name(argument) when loaded: the classic exploit."""
    args = pickle.dumps((argument,), protocol=2)[2:-1]  # the tuple, without PROTO and STOP
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + args + b"R."


def test_reads_a_torch_written_checkpoint():
    expected = np.load(DATA / "tiny_legacy_expected.npz")
    state = torch_legacy.load_state_dict(TINY)
    assert list(state) == list(expected)
    for name in expected:
        assert state[name].dtype == expected[name].dtype, name
        assert state[name].shape == expected[name].shape, name
        np.testing.assert_array_equal(state[name], expected[name], err_msg=name)
    assert state["fc.weight_t"].flags.c_contiguous
    np.testing.assert_array_equal(state["fc.weight_t"], state["fc.weight"].T)


@pytest.mark.parametrize(
    "module, name, payload",
    [
        ("os", "system", "touch {marker}"),
        ("builtins", "exec", "open({marker!r}, 'w').close()"),
        ("subprocess", "getoutput", "touch {marker}"),
    ],
)
@pytest.mark.parametrize("where", ["state dict", "sys info", "tensor value"])
def test_refuses_foreign_globals_without_running_them(tmp_path, module, name, payload, where):
    marker = tmp_path / "pwned"
    exploit = _call_global(module, name, payload.format(marker=str(marker)))
    if where == "state dict":
        content = _header() + exploit
    elif where == "sys info":
        content = _header()[: -len(pickle.dumps(SYS_INFO, protocol=2))] + exploit
    else:  # an OrderedDict whose value is the exploit, as a tensor would be
        inner = exploit[2:-1]
        content = _header() + b"\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00w" + inner
        content += b"u."
    path = tmp_path / "evil.pth"
    path.write_bytes(content)
    with pytest.raises(
        ModuleFormatError, match=rf"refusing to unpickle the global {module}\.{name}"
    ):
        torch_legacy.load_state_dict(path)
    assert not marker.exists()


@pytest.mark.parametrize("keep", [0.01, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file_says_so(tmp_path, keep):
    content = TINY.read_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(content[: int(len(content) * keep)])
    with pytest.raises(ModuleFormatError, match="is truncated: it ends inside"):
        torch_legacy.load_state_dict(path)


def test_zip_format_is_named(tmp_path):
    path = tmp_path / "new.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"")
    with pytest.raises(ModuleFormatError, match="zip-format PyTorch checkpoint"):
        torch_legacy.load_state_dict(path)


def test_other_pickle_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "other.pth"
    path.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=2))
    with pytest.raises(ModuleFormatError, match="is not a legacy PyTorch checkpoint: magic number"):
        torch_legacy.load_state_dict(path)


def test_state_dict_of_non_tensors_is_refused(tmp_path):
    path = tmp_path / "plain.pth"
    path.write_bytes(_header() + pickle.dumps({"lr": 0.1}, protocol=2) + pickle.dumps([]))
    with pytest.raises(ModuleFormatError, match="entry 'lr' is of type float, expected a tensor"):
        torch_legacy.load_state_dict(path)
