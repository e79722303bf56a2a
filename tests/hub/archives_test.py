"""Safe extraction: nothing lands outside the target, bombs stop, bad archives say so."""

import io
import tarfile

import pytest

from hubmodels.errors import ModuleFormatError
from hubmodels.hub import archives


def _tar(path, members):
    """members: (TarInfo, bytes or None)."""
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name, kind, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, None


@pytest.mark.parametrize(
    "members, reason",
    [
        ([_file("../evil.txt")], "outside its folder"),
        ([_file("ok/../../evil.txt")], "outside its folder"),
        ([_file("/etc/evil.txt")], "outside its folder"),
        ([_special("link", tarfile.SYMTYPE, "/etc/passwd")], "link"),
        ([_special("hard", tarfile.LNKTYPE, "saved_model.pb")], "link"),
        ([_special("dev", tarfile.CHRTYPE)], "special file"),
        ([_special("fifo", tarfile.FIFOTYPE)], "special file"),
    ],
)
def test_unsafe_members_are_refused(tmp_path, members, reason):
    archive = _tar(tmp_path / "bad.tar.gz", [_file("saved_model.pb")] + members)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ModuleFormatError, match=reason):
        archives.extract(archive, target)
    assert not (tmp_path / "evil.txt").exists()


def test_size_bound_stops_a_decompression_bomb(tmp_path):
    archive = _tar(tmp_path / "bomb.tar.gz", [_file("saved_model.pb", b"\0" * 5_000_000)])
    assert archive.stat().st_size < 50_000
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ModuleFormatError, match="more than 1000000 bytes"):
        archives.extract(archive, target, max_bytes=1_000_000)


@pytest.mark.parametrize("content", [b"", b"not an archive at all", b"\x1f\x8b\x08garbage"])
def test_corrupt_archive_names_the_file(tmp_path, content):
    archive = tmp_path / "corrupt.tar.gz"
    archive.write_bytes(content)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ModuleFormatError, match="corrupt.tar.gz is not a readable module archive"):
        archives.extract(archive, target)


def test_module_root_descends_into_a_single_folder(tmp_path):
    archive = _tar(tmp_path / "nested.tgz", [_file("top/saved_model.pb"), _file("top/variables/x")])
    target = tmp_path / "out"
    target.mkdir()
    archives.extract(archive, target)
    assert archives.module_root(target) == target / "top"
