"""The one place where hubmodels brings in keras-tuner, running on tf-keras.

keras-tuner 1.4 decides once per process, when `keras_tuner` is first imported, which
Keras it drives: its `keras_tuner/src/backend/config.py` runs `import keras` and calls
`keras.version()`, which Keras 3 has and tf-keras lacks. TensorFlow 2.21 installs
Keras 3 as `keras`, so left alone keras_tuner drives Keras 3 and refuses the tf-keras
models of hubmodels ("Expected the model-building function, or HyperModel.build() to
return a valid Keras Model instance").

`settle()` (run by `import hubmodels.tuning`) adds a one-shot import hook and loads
nothing. The first import of keras_tuner afterwards, by hubmodels or by the user's own
`import keras_tuner`, runs with tf-keras bound to the two names through which keras_tuner
finds its Keras, `keras` (config.py's decision) and `tensorflow.keras` (what
keras_tuner/src/backend/keras.py then uses); right after, both names get their previous
modules back (Keras 3, or nothing) and the hook removes itself. So it works whether or
not TensorFlow or Keras 3 was imported first. TensorFlow loads only then, as keras_tuner
imports it anyway. Nothing else is patched: Keras 3 stays installed and importable.
settle() also sets TF_USE_LEGACY_KERAS=1, as hubmodels._keras does, so that TensorFlow's
own Keras, in a script that imports TensorFlow afterwards, is tf-keras too.

If keras_tuner was imported before hubmodels.tuning, it already drives Keras 3;
`import_keras_tuner()`, which every module of hubmodels.tuning uses, then says so.
"""

import importlib
import importlib.abc
import importlib.util
import os
import sys

from hubmodels.errors import HubModelsError

_FIX = (
    "import hubmodels.tuning (or any name from it) before keras_tuner, at the top of your "
    "script, e.g. `from hubmodels import tuning` then `import keras_tuner as kt`"
)


def settle() -> None:
    """Makes the first import of keras_tuner, by anyone, drive tf-keras. Imports nothing.

    Adds no hook when keras_tuner is already imported (it has decided) or the hook is in
    place. Sets TF_USE_LEGACY_KERAS=1: a TensorFlow imported later then routes its Keras to
    tf-keras.
    """
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    if "keras_tuner" in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())


def import_keras_tuner():
    """The keras_tuner module, driving tf-keras; imported on first call.

    Raises HubModelsError if keras_tuner was already imported on Keras 3, or if the
    `tensorboard` package that keras-tuner's trials import on TensorFlow is missing.
    """
    config = sys.modules.get("keras_tuner.src.backend.config")
    if config is not None and config.multi_backend():
        raise HubModelsError(
            "keras_tuner was imported before hubmodels.tuning and drives Keras 3, which "
            f"refuses the tf-keras models of hubmodels: {_FIX}"
        )
    if importlib.util.find_spec("tensorboard") is None:
        raise HubModelsError(
            "keras-tuner imports the 'tensorboard' package in every trial on TensorFlow, and "
            "it is not installed: pip install 'tensorboard>=2.16,<2.22'"
        )
    kt = importlib.import_module("keras_tuner")  # through settle()'s hook, if not yet imported
    _check_drives_tf_keras()
    return kt


def _check_drives_tf_keras() -> None:
    """HubModelsError unless the imported keras_tuner builds on tf-keras's Model."""
    from hubmodels._keras import keras

    driven = sys.modules["keras_tuner.src.backend.keras"]
    if driven.Model is not keras.Model:
        raise HubModelsError(
            f"keras_tuner drives {driven.Model.__module__.split('.')[0]}, not tf-keras: it "
            f"was imported before hubmodels.tuning; {_FIX}"
        )


class _Finder(importlib.abc.MetaPathFinder):
    """Finds keras_tuner as the other finders do, and hands it a loader on tf-keras."""

    def find_spec(self, name, path=None, target=None):
        if name != "keras_tuner":
            return None
        for finder in sys.meta_path:
            found = finder is not self and getattr(finder, "find_spec", None)
            spec = found(name, path, target) if found else None
            if spec is not None:
                spec.loader = _TfKerasLoader(spec.loader, self)
                return spec
        return None


class _TfKerasLoader(importlib.abc.Loader):
    """Runs keras_tuner/__init__.py, and all it imports, with tf-keras as both `keras` and
    `tensorflow.keras` (also when TensorFlow was imported without TF_USE_LEGACY_KERAS)."""

    def __init__(self, loader, finder):
        self._loader = loader
        self._finder = finder

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        from hubmodels._keras import keras  # loads TensorFlow

        names = ("keras", "tensorflow.keras")
        previous = {name: sys.modules.get(name) for name in names}
        sys.modules.update(dict.fromkeys(names, keras))
        try:
            self._loader.exec_module(module)
        finally:
            for name, value in previous.items():
                if value is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = value
        module.__loader__ = module.__spec__.loader = self._loader
        sys.meta_path.remove(self._finder)
