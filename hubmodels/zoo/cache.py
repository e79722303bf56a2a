"""Builds zoo modules into `HUBMODELS_HOME/zoo/`, once, atomically, safely across processes.

A module's folder, `zoo/NAME/KEY`, is keyed by its entry's revision and source
versions and by the environment (TensorFlow and hubmodels versions), so a new
source version, builder revision, TensorFlow or hubmodels builds afresh. The
builder writes into a temporary folder, which is renamed into place when
complete; a file lock makes two processes that build the same module at once
end with one copy.

Clean-up rule: after a build, the other builds of the same module made by the
same environment (per their cards) are deleted: this environment can no longer
use them. Builds made by another TensorFlow or hubmodels version are kept, as
another environment sharing HUBMODELS_HOME may still use them; delete
`HUBMODELS_HOME/zoo` by hand to reclaim their space.
"""

import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from hubmodels import __version__, paths
from hubmodels.errors import ModuleFormatError
from hubmodels.hub import card
from hubmodels.zoo import registry, scheme


def _environment() -> dict:
    """What a build depends on besides its entry: {"tensorflow": "2.21.0", "hubmodels": ...}."""
    from hubmodels._keras import tf

    return {"tensorflow": tf.__version__, "hubmodels": __version__}


def _fingerprint(entry: registry.ZooEntry) -> str:
    sources = [s.requirement for s in entry.sources]
    key = json.dumps([entry.revision, sources, _environment()], sort_keys=True)
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def module_dir(entry: registry.ZooEntry) -> Path:
    return paths.home() / "zoo" / entry.name / _fingerprint(entry)


def is_built(entry: registry.ZooEntry) -> bool:
    return (module_dir(entry) / card.FILENAME).is_file()


def _card(entry: registry.ZooEntry, seconds: float) -> dict:
    return {
        "name": entry.name,
        "handle": scheme.PREFIX + entry.name,
        "category": entry.category,
        "summary": entry.summary,
        "kind": entry.kind,
        "standin_of": entry.standin_of,
        "sources": [s.requirement for s in entry.sources],
        "requires": list(entry.requires),
        "revision": entry.revision,
        "built_by": f"hubmodels {__version__}",
        "environment": _environment(),
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
        _remove_stale(keep=target)
        if not quiet:
            seconds = time.perf_counter() - start
            print(f"hubmodels: built {name} in {seconds:.1f} s -> {target}", file=sys.stderr)
    return target


def _remove_stale(keep: Path) -> None:
    """Deletes the builds beside `keep` whose card names this environment (see above)."""
    for folder in keep.parent.iterdir():
        if folder == keep or not folder.is_dir() or folder.name.startswith(".build-"):
            continue
        try:
            made_here = card.read(folder).get("environment") == _environment()
        except ModuleFormatError:  # not a build of ours: leave it alone
            made_here = False
        if made_here:
            shutil.rmtree(folder, ignore_errors=True)
