"""Atomic writes: build in a staging folder (or file) beside the target, then rename into place.

A failed write leaves the target as it was (absent, or the previous version); the target is
absent only between two renames, never half written.
"""

import os
import shutil
import tempfile
from pathlib import Path

from hubmodels.errors import InputError


def write_folder(path: Path, write, overwrite: bool = False) -> Path:
    """Calls write(staging: Path) to fill a new folder, then puts it at `path`.

    write receives a folder that does not exist yet, plus a scratch folder for files it
    needs while writing: write(folder, scratch). overwrite: replace an existing `path`
    (otherwise anything but an empty folder there is refused).
    """
    path = Path(path)
    refuse_occupied(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        folder = staging / "new"
        write(folder, staging)
        _move_into_place(folder, path, staging / "previous", overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def write_file(path: Path, content: bytes, overwrite: bool = False) -> Path:
    """Writes the bytes `content` to the file `path` atomically (see `save_file`)."""
    return save_file(path, lambda staging: Path(staging).write_bytes(content), overwrite)


def save_file(path: Path, save, overwrite: bool = False) -> Path:
    """Calls save(staging path: str) to write a staging file beside `path`, then renames it
    into place.

    overwrite: replace an existing file (otherwise anything at `path` but an empty folder is
    refused; an empty folder is never replaced by a file).
    """
    path = Path(path)
    refuse_occupied(path, overwrite)
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a file path to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    try:
        save(staging)
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    return path


def _occupied(path: Path) -> bool:
    """Whether `path` holds something a write would destroy (anything but an empty folder)."""
    if path.is_dir() and not path.is_symlink():
        return any(path.iterdir())
    return path.exists() or path.is_symlink()


def refuse_occupied(path: Path, overwrite: bool) -> None:
    if not overwrite and _occupied(path):
        raise InputError(f"{path} already exists: pass overwrite=True to replace it")


def _move_into_place(folder: Path, path: Path, previous: Path, overwrite: bool) -> None:
    """Renames `folder` to `path`; an existing `path` is set aside first and restored on failure."""
    if not (path.exists() or path.is_symlink()):
        try:
            os.rename(folder, path)
            return
        except OSError:
            if not (path.exists() or path.is_symlink()):
                raise
            # Someone wrote `path` since the check: treat it as existing.
    refuse_occupied(path, overwrite)
    os.rename(path, previous)
    try:
        os.rename(folder, path)
    except BaseException:
        os.rename(previous, path)
        raise
