"""Builds zoo modules into `HUBMODELS_HOME/zoo/`, once, atomically, safely across processes.

A module's folder is keyed by its entry's revision and source versions, so a
new source version (or builder revision) builds afresh. The builder writes
into a temporary folder, which is renamed into place when complete; a file
lock makes two processes that build the same module at once end with one copy.
"""

import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from hubmodels import __version__, paths
from hubmodels.hub import card
from hubmodels.zoo import registry


def _fingerprint(entry: registry.ZooEntry) -> str:
    key = json.dumps([entry.revision, [s.requirement for s in entry.sources]])
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def module_dir(entry: registry.ZooEntry) -> Path:
    return paths.home() / "zoo" / entry.name / _fingerprint(entry)


def is_built(entry: registry.ZooEntry) -> bool:
    return (module_dir(entry) / card.FILENAME).is_file()


def _card(entry: registry.ZooEntry, seconds: float) -> dict:
    return {
        "name": entry.name,
        "handle": f"hubmodels://{entry.name}",
        "category": entry.category,
        "summary": entry.summary,
        "kind": entry.kind,
        "standin_of": entry.standin_of,
        "sources": [s.requirement for s in entry.sources],
        "requires": list(entry.requires),
        "revision": entry.revision,
        "built_by": f"hubmodels {__version__}",
        "build_seconds": round(seconds, 2),
    }


def ensure_built(name: str, quiet: bool = False) -> Path:
    """The folder of zoo module `name`, built first if needed."""
    from filelock import FileLock

    entry = registry.get(name)
    target = module_dir(entry)
    if is_built(entry):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if is_built(entry):
            return target
        if not quiet:
            print(f"hubmodels: building zoo module {name} (first use)...", file=sys.stderr)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
            staging = Path(tmp) / "module"
            staging.mkdir()
            entry.builder(staging)
            card.write(staging, _card(entry, time.perf_counter() - start))
            if target.exists():  # a half-written folder of an older, crashed build
                shutil.rmtree(target)
            staging.rename(target)
        _remove_stale(entry, keep=target)
        if not quiet:
            seconds = time.perf_counter() - start
            print(f"hubmodels: built {name} in {seconds:.1f} s -> {target}", file=sys.stderr)
    return target


def _remove_stale(entry: registry.ZooEntry, keep: Path) -> None:
    """Deletes builds of `entry` made for other source versions or revisions."""
    for folder in keep.parent.iterdir():
        if folder.is_dir() and folder != keep and not folder.name.startswith(".build-"):
            shutil.rmtree(folder, ignore_errors=True)
