"""Fixtures of the LiteRT tests: a small digits classifier trained here and its float32 file."""

import numpy as np
import pytest

from hubmodels._keras import keras, tf
from hubmodels.tasks.task_model import TaskModel

DIGIT_NAMES = [f"digit_{i}" for i in range(10)]


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits as float32 [n, 16, 16, 3] in [0, 1]: (train images [1200],
    train labels, held-out images [597], held-out labels)."""
    from sklearn.datasets import load_digits

    found = load_digits()
    images = np.repeat(np.repeat(found.images / 16.0, 2, axis=1), 2, axis=2)
    images = np.repeat(images[..., None], 3, axis=-1).astype(np.float32)
    labels = found.target.astype(np.int32)
    return images[:1200], labels[:1200], images[1200:], labels[1200:]


@pytest.fixture(scope="session")
def digits_model(digits):
    """A small CNN trained for 4 epochs: images [batch, 16, 16, 3] -> probabilities [batch, 10]."""
    keras.utils.set_random_seed(0)
    images, labels = digits[0], digits[1]
    inputs = keras.Input((16, 16, 3), name="images")
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.Conv2D(16, 3, activation="relu", name="conv2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="head")(x)
    model = TaskModel(inputs, outputs, task="image", class_names=DIGIT_NAMES, name="digits")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(images, labels, batch_size=64, epochs=4, verbose=0)
    return model


@pytest.fixture(scope="session")
def digits_tflite(digits_model, tmp_path_factory):
    """The digits model as a float32 .tflite file with hubmodels metadata."""
    from hubmodels.litert import export_litert

    return export_litert(digits_model, tmp_path_factory.mktemp("litert") / "digits.tflite")


def plain_tflite(model) -> bytes:
    """`model` converted by tf.lite alone: a .tflite without hubmodels metadata."""

    @tf.function(input_signature=[tf.TensorSpec([None, *model.inputs[0].shape[1:]], tf.float32)])
    def serve(images):
        return model(images, training=False)

    function = serve.get_concrete_function()
    return tf.lite.TFLiteConverter.from_concrete_functions([function], model).convert()
