"""The one door to Keras: tf-keras (Keras 2), chosen before TensorFlow loads.

Every module of hubmodels imports `tf` and `keras` from here. TensorFlow 2.21
installs Keras 3 as `keras`; `hub.KerasLayer` and our models need tf-keras, so
`TF_USE_LEGACY_KERAS=1` is set before the first TensorFlow import.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

__all__ = ["keras", "tf"]
