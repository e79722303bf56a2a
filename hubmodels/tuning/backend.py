"""The one place where hubmodels brings in keras-tuner, running on tf-keras.

keras-tuner 1.4 decides at import time which Keras it drives: its
`keras_tuner/src/backend/config.py` runs `import keras` and checks
`keras.version()`. TensorFlow 2.21 installs Keras 3 as `keras`, so a plain
`import keras_tuner` drives Keras 3 and refuses the tf-keras models that
hubmodels builds ("Expected the model-building function, or HyperModel.build()
to return a valid Keras Model instance").

`import_keras_tuner()` imports keras_tuner once while `sys.modules["keras"]` is
tf-keras, and puts the previous `keras` (Keras 3 or nothing) back right after;
keras_tuner's other modules pick their Keras from that first decision
(`tensorflow.keras`, which is tf-keras since hubmodels._keras sets
TF_USE_LEGACY_KERAS=1). Nothing else is patched: Keras 3 stays installed and
importable. Every module of hubmodels.tuning gets keras_tuner from here.
"""

import importlib
import importlib.util
import sys

from hubmodels._keras import keras
from hubmodels.errors import HubModelsError

_FIX = (
    "get keras_tuner with `kt = hubmodels.tuning.import_keras_tuner()` (a plain "
    "`import keras_tuner` is fine only after that call)"
)


def import_keras_tuner():
    """The keras_tuner module, driving tf-keras; imported on first call.

    Raises HubModelsError if keras_tuner was already imported on Keras 3, or if the
    `tensorboard` package that keras-tuner's trials import on TensorFlow is missing.
    """
    loaded = sys.modules.get("keras_tuner.src.backend.config")
    if loaded is not None and loaded.multi_backend():
        raise HubModelsError(
            "keras_tuner was imported before hubmodels chose its Keras and drives Keras 3, "
            f"which refuses the tf-keras models of hubmodels: {_FIX}, at the top of your script"
        )
    if importlib.util.find_spec("tensorboard") is None:
        raise HubModelsError(
            "keras-tuner imports the 'tensorboard' package in every trial on TensorFlow, and "
            "it is not installed: pip install 'tensorboard>=2.16,<2.22'"
        )
    previous = sys.modules.get("keras")
    sys.modules["keras"] = keras
    try:
        kt = importlib.import_module("keras_tuner")
    finally:
        if previous is None:
            del sys.modules["keras"]
        else:
            sys.modules["keras"] = previous
    driven = importlib.import_module("keras_tuner.src.backend.keras")
    if driven.Model is not keras.Model:
        raise HubModelsError(
            f"keras_tuner drives {driven.Model.__module__}, not tf-keras: {_FIX}, and keep "
            "TF_USE_LEGACY_KERAS=1 (hubmodels sets it when it first imports TensorFlow)"
        )
    return kt
