"""Handles: folders, file://, archives (cached, concurrent), URLs offline, zoo names."""

import shutil
import time
from pathlib import Path

import pytest

from hubmodels import resolve
from hubmodels.errors import HandleError, ModuleFormatError
from tests.processes import run_at_once


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))


def test_folder_and_file_url(real_fixtures):
    folder = real_fixtures / "saved_model_half_plus_two_cpu" / "00000123"
    assert resolve(str(folder)) == str(folder)
    assert resolve(folder) == str(folder)
    assert resolve("file://" + str(folder)) == str(folder)


def test_archive_is_extracted_once_into_the_cache(real_fixtures, tmp_path):
    archive = real_fixtures / "half_plus_two_v1.tar.gz"
    first = resolve(str(archive))
    assert first.startswith(str(tmp_path / "home" / "archives"))
    assert sorted(p.name for p in Path(first).iterdir()) == [
        "assets",
        "saved_model.pb",
        "tfhub_module.pb",
        "variables",
    ]
    mtime = (Path(first) / "saved_model.pb").stat().st_mtime_ns
    assert resolve(str(archive)) == first
    assert (Path(first) / "saved_model.pb").stat().st_mtime_ns == mtime


def _resolve_in_child(handle, home):
    import os

    os.environ["HUBMODELS_HOME"] = home
    from hubmodels import resolve as child_resolve

    return child_resolve(handle)


def test_two_processes_resolving_one_archive_both_succeed(real_fixtures, tmp_path):
    archive = tmp_path / "copy.tar.gz"
    shutil.copy(real_fixtures / "half_plus_two_v1.tar.gz", archive)
    paths = run_at_once(_resolve_in_child, (str(archive), str(tmp_path / "home")))
    assert len(set(paths)) == 1
    archives_dir = tmp_path / "home" / "archives"
    leftovers = [p.name for p in archives_dir.iterdir()]
    assert len([p for p in leftovers if not p.endswith(".descriptor.txt")]) == 1, leftovers


def test_folder_that_is_not_a_module_says_what_it_found(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "data").mkdir()
    with pytest.raises(
        ModuleFormatError, match=r"expected saved_model.pb .* found data/, notes.txt"
    ):
        resolve(str(tmp_path))


def test_archive_without_a_module(tmp_path):
    import tarfile

    (tmp_path / "readme.txt").write_text("no model here")
    with tarfile.open(tmp_path / "empty.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "readme.txt", arcname="readme.txt")
    with pytest.raises(ModuleFormatError, match="found readme.txt"):
        resolve(str(tmp_path / "empty.tar.gz"))


def test_corrupt_archive(tmp_path):
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(ModuleFormatError, match="broken.tar.gz is not a readable module archive"):
        resolve(str(tmp_path / "broken.tar.gz"))
    assert not any((tmp_path / "home" / "archives").glob("*/saved_model.pb"))


def test_missing_path_and_non_module_file(tmp_path):
    with pytest.raises(HandleError, match="no module at"):
        resolve(str(tmp_path / "missing"))
    (tmp_path / "weights.bin").write_bytes(b"1234")
    with pytest.raises(ModuleFormatError, match="is a file but not a module archive"):
        resolve(str(tmp_path / "weights.bin"))
    with pytest.raises(HandleError, match="non-empty string"):
        resolve("")


def test_unreachable_url_fails_fast_with_a_way_out():
    start = time.perf_counter()
    with pytest.raises(HandleError) as caught:
        resolve("https://tfhub.dev/google/imagenet/inception_v3/classification/1")
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert "unreachable" in message and "TFHUB_CACHE_DIR" in message
    assert "hubmodels://standin/google/imagenet/inception_v3/classification/1" in message


def test_cached_url_resolves_offline(real_fixtures, tmp_path):
    import hashlib

    handle = "https://tfhub.dev/google/half_plus_two/1"
    cached = tmp_path / "tfhub" / hashlib.sha1(handle.encode()).hexdigest()
    cached.parent.mkdir(parents=True)
    shutil.copytree(real_fixtures / "saved_model_half_plus_two_cpu" / "00000123", cached)
    assert resolve(handle) == str(cached)
