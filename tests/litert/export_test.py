"""export_litert on a digits classifier trained in the test: parity, metadata, errors."""

import json

import numpy as np
import pytest

from hubmodels import save_model
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError, ModuleFormatError
from hubmodels.hub.layer import ModuleLayer
from hubmodels.hub.module import Module
from hubmodels.litert import ConversionError, convert, export_litert, load_litert, metadata
from hubmodels.tasks.task_model import TaskModel
from tests.litert.conftest import DIGIT_NAMES


def test_float32_outputs_match_keras(digits_model, digits_tflite, digits):
    held_out = digits[2]
    expected = digits_model.predict(held_out, verbose=0)
    got = load_litert(digits_tflite).predict(held_out)
    assert got.shape == (597, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_metadata_round_trip(digits_tflite):
    found = metadata.read(digits_tflite.read_bytes(), str(digits_tflite))
    assert found["format"] == "hubmodels.litert" and found["task"] == "image"
    assert found["quantization"] == "float32"
    assert found["inputs"] == [
        {"name": "images", "shape": [-1, 16, 16, 3], "dtype": "float32", "value_range": [0, 1]}
    ]
    assert found["outputs"] == ["head"]
    assert found["class_names"] == DIGIT_NAMES and found["image_size"] == [16, 16]
    predictor = load_litert(digits_tflite)
    assert predictor.task == "image" and predictor.class_names == DIGIT_NAMES
    assert predictor.image_size == (16, 16) and predictor.multi_label is False


def test_metadata_write_replaces_its_entry(digits_tflite):
    content = metadata.write(digits_tflite.read_bytes(), {"format": "hubmodels.litert", "n": 1})
    content = metadata.write(content, {"format": "hubmodels.litert", "format_version": 1, "n": 2})
    assert metadata.read(content, "twice")["n"] == 2
    assert content.count(b'"format": "hubmodels.litert"') == 1


def test_metadata_of_another_format_is_refused(digits_tflite):
    content = metadata.write(digits_tflite.read_bytes(), {"format": "someone.else"})
    with pytest.raises(Exception, match="not hubmodels' own"):
        metadata.read(content, "x.tflite")


def test_existing_file_is_refused_unless_overwrite(digits_model, digits_tflite):
    before = digits_tflite.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        export_litert(digits_model, digits_tflite, quantization="dynamic")
    assert digits_tflite.read_bytes() == before
    copy = digits_tflite.with_name("copy.tflite")
    copy.write_bytes(b"old")
    export_litert(digits_model, copy, overwrite=True)
    assert load_litert(copy).quantization == "float32"
    assert not list(copy.parent.glob("*.partial"))


def test_int8_without_representative_data_is_refused(digits_model):
    with pytest.raises(InputError, match="give representative_data"):
        convert(digits_model, quantization="int8")


def test_representative_data_of_the_wrong_shape_is_refused(digits_model):
    with pytest.raises(InputError, match=r"expected \(16, 16, 3\)"):
        convert(digits_model, "int8", representative_data=np.zeros((4, 8, 8, 3), np.float32))


def test_unknown_quantization_is_refused(digits_model):
    with pytest.raises(InputError, match="quantization='int4'"):
        convert(digits_model, quantization="int4")


class Igamma(keras.layers.Layer):
    """An op without a LiteRT kernel: the regularized incomplete gamma function."""

    def call(self, x):
        return tf.math.igamma(x + 1.0, x + 2.0)


def test_unsupported_op_names_the_op_and_the_layer():
    inputs = keras.Input((4, 4, 3), name="images")
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = Igamma(name="odd_layer")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="head")(x)
    model = TaskModel(inputs, outputs, task="image", name="odd")
    with pytest.raises(ConversionError, match=r"tf\.Igamma \(layer 'odd_layer'\)"):
        convert(model)


def test_export_folder_converts_with_its_metadata(digits_model, digits, tmp_path):
    folder = save_model(digits_model, tmp_path / "export")
    path = export_litert(folder, tmp_path / "digits.tflite")
    predictor = load_litert(path)
    assert predictor.class_names == DIGIT_NAMES and predictor.image_size == (16, 16)
    found = metadata.read(path.read_bytes(), str(path))
    assert found["fast_jpeg"] is True
    expected = digits_model.predict(digits[2][:8], verbose=0)
    np.testing.assert_allclose(predictor.predict(digits[2][:8]), expected, rtol=1e-4, atol=1e-6)
    assert json.loads(json.dumps(found)) == found


def test_augmentation_layer_is_left_out(tiny_image_module, tmp_path):
    """At inference the augmentation layer only resizes: the file takes images at its size."""
    import hubmodels

    model = hubmodels.feature_vector_classifier(
        str(tiny_image_module), 2, augmentation="crop_color", class_names=["a", "b"]
    )
    path = export_litert(model, tmp_path / "augmented.tflite")
    predictor = load_litert(path)
    assert predictor.image_size == (32, 32)
    images = np.random.default_rng(0).random((3, 32, 32, 3), dtype=np.float32)
    expected = model.predict(images, verbose=0)
    np.testing.assert_allclose(predictor.predict(images), expected, rtol=1e-4, atol=1e-6)


def test_session_only_modules_are_refused(tmp_path):
    from tests.saved_models import write_old_tf1_savedmodel

    module = Module(write_old_tf1_savedmodel(tmp_path / "old", bad_signature="missing_output"))
    inputs = keras.Input(shape=(8, 8, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    outputs = ModuleLayer(module, signature="serving_default")(pooled[:, :2])
    model = keras.Model(inputs, outputs)
    with pytest.raises(ModuleFormatError, match=r"TF1 graph session .* a LiteRT file cannot"):
        export_litert(model, tmp_path / "model.tflite", task="image")
    assert not (tmp_path / "model.tflite").exists()
