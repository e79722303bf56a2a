"""Lets tensorflow_hub resolve the schemes of handles.register_scheme and local archives.

After `import hubmodels`, `hub.load("hubmodels://NAME")` (the zoo's scheme) and
`hub.load("module.tar.gz")` go through `handles.resolve`.

`tensorflow_hub.registry` is not part of tensorflow_hub's exported API, so the
supported range of tensorflow-hub is pinned in pyproject.toml and a test checks
that `hub.load("hubmodels://…")` works. `import hubmodels` must not import
TensorFlow: if tensorflow_hub is not imported yet, a small import hook runs
`register()` right after it is.
"""

import importlib.abc
import importlib.util
import os
import sys

from hubmodels.hub import card, handles
from hubmodels.hub.archives import is_archive

_registered = False


class _HandleResolver:
    """A tensorflow_hub resolver for handles of registered schemes and local archives."""

    def is_supported(self, handle):
        if not isinstance(handle, str):
            return False
        return handles.registered_scheme(handle) is not None or (
            is_archive(handle) and os.path.isfile(handle)
        )

    def __call__(self, handle):
        folder = handles.resolve(handle)
        card.import_required(folder)
        return folder


def register() -> None:
    """Adds our resolver to tensorflow_hub (once; idempotent)."""
    global _registered
    if _registered:
        return
    from tensorflow_hub import registry

    registry.resolver.add_implementation(_HandleResolver())
    _registered = True


class _AfterHubImport(importlib.abc.MetaPathFinder):
    """Runs register() once tensorflow_hub has finished importing."""

    def find_spec(self, name, path, target=None):
        if name != "tensorflow_hub":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        original_exec = spec.loader.exec_module

        def exec_module(module):
            import hubmodels._keras  # noqa: F401  (tf-keras before TensorFlow loads)

            original_exec(module)
            register()

        spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Registers now if tensorflow_hub is imported, otherwise right after its import."""
    if "tensorflow_hub" in sys.modules:
        register()
    elif not any(isinstance(f, _AfterHubImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterHubImport())
