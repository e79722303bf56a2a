"""Public names imported on first use, so that `import hubmodels` and the command line start
without TensorFlow; every package with such names gets its `__getattr__` and `__dir__` here."""

import importlib
import sys


def exports(package: str, public: dict) -> tuple:
    """(__getattr__, __dir__) for `package`, whose public names live in its submodules.

    public: {name: module}, the module absolute ("hubmodels.tuning.space") or relative to
      the package (".classifiers").
    """

    def __getattr__(name):
        try:
            module = public[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module, package), name)

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
