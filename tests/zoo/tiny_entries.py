"""Tiny zoo entries registered by the tests (like timm's test-only models)."""

import time
from pathlib import Path

from hubmodels import paths
from hubmodels._keras import tf
from hubmodels.zoo import registry

SCALE = "test/scale"
SLOW = "test/slow_scale"
CRASHING = "test/crashing"
_LOG = "builds.log"


def _write_scale(out_dir: Path) -> None:
    """x float32 [batch] -> 3x; logs each build in HUBMODELS_HOME."""
    module = tf.Module()
    module.factor = tf.Variable(3.0)
    module.__call__ = tf.function(
        lambda x: x * module.factor, input_signature=[tf.TensorSpec([None], tf.float32)]
    )
    tf.saved_model.save(module, str(out_dir))
    with open(paths.home() / _LOG, "a") as log:
        log.write(f"{out_dir}\n")


def _slow(out_dir: Path) -> None:
    time.sleep(2)
    _write_scale(out_dir)


def _crash(out_dir: Path) -> None:
    (out_dir / "saved_model.pb").write_bytes(b"half")
    raise RuntimeError("disk full")


def build_count() -> int:
    """How many builds ran under the current HUBMODELS_HOME."""
    log = paths.home() / _LOG
    return len(log.read_text().splitlines()) if log.exists() else 0


def register_all() -> None:
    """Adds the test entries (undo with unregister_all)."""
    registry.entries()  # loads the catalog first
    for name, builder in ((SCALE, _write_scale), (SLOW, _slow), (CRASHING, _crash)):
        if name not in registry._ENTRIES:
            registry.register(name=name, category="test", summary="test entry")(builder)


def unregister_all() -> None:
    for name in (SCALE, SLOW, CRASHING):
        registry._ENTRIES.pop(name, None)
