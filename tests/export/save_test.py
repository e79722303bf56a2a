"""hubmodels.save_model / load_model: serving signatures, self-contained reloads, atomic writes."""

import io
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

import hubmodels
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError, ModuleFormatError
from hubmodels.hub.layer import ModuleLayer
from hubmodels.hub.module import Module

NAMES = ["cat", "dog", "fox"]


def _pixels(n, height=32, width=32, seed=0):
    """uint8 [n, height, width, 3]: smooth colour gradients (JPEG keeps them close)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width] / max(height, width)
    base = rng.uniform(0.2, 0.8, (n, 1, 1, 3))
    slopes = rng.uniform(-0.3, 0.3, (n, 1, 1, 2, 3))
    images = (
        base + ys[None, ..., None] * slopes[..., 0, :] + xs[None, ..., None] * slopes[..., 1, :]
    )
    return np.clip(np.round(images * 255), 0, 255).astype("uint8")


def _floats(pixels):
    return pixels.astype("float32") / 255.0


def _encode(pixels, fmt, **options):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _decoded_like_serving(data, size=(32, 32)):
    """The reference: PIL's decode, then bilinear resize and scaling to [0, 1]."""
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return (tf.image.resize(pixels, size, method="bilinear") / 255.0).numpy()


def _train_one_step(model, seed=0):
    images = _floats(_pixels(6, seed=seed))
    labels = np.arange(6) % model.outputs[0].shape[-1]
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.fit(images, labels, epochs=1, batch_size=6, verbose=0)
    return model


def _classifier(handle, seed=0):
    keras.utils.set_random_seed(seed)
    model = hubmodels.feature_vector_classifier(
        str(handle), 3, unfreeze="block2", class_names=NAMES
    )
    return _train_one_step(model, seed)


@pytest.fixture(scope="module")
def exported(tiny_image_module, tmp_path_factory):
    """A trained feature_vector_classifier and its export, built with the module in a folder
    that is deleted before anything loads the export."""
    module = tmp_path_factory.mktemp("module_copy") / "module"
    shutil.copytree(tiny_image_module, module)
    model = _classifier(module)
    path = hubmodels.save_model(model, tmp_path_factory.mktemp("exports") / "classifier")
    shutil.rmtree(module)
    return model, path


def test_load_model_predicts_identically_without_the_module(exported):
    model, path = exported
    images = _floats(_pixels(5, seed=3))
    loaded = hubmodels.load_model(path)
    assert loaded.class_names == NAMES and loaded.multi_label is False
    np.testing.assert_allclose(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=0, atol=1e-7
    )
    # Revived from the saved graph, not rebuilt from the module handle in the config.
    assert not any(isinstance(layer, ModuleLayer) for layer in loaded.layers)


def test_plain_tensorflow_serves_float_images_with_labels_and_metadata(exported):
    model, path = exported
    images = _floats(_pixels(5, seed=4))
    expected = model.predict(images, verbose=0)
    served = tf.saved_model.load(str(path))
    outputs = served.signatures["serve_images"](images=tf.constant(images))
    np.testing.assert_allclose(outputs["probabilities"].numpy(), expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(outputs["classes"].numpy(), expected.argmax(axis=1))
    assert [label.decode() for label in outputs["labels"].numpy()] == [
        NAMES[i] for i in expected.argmax(axis=1)
    ]
    with open(served.hubmodels_metadata.asset_path.numpy().decode(), encoding="utf-8") as file:
        metadata = json.load(file)
    assert metadata["class_names"] == NAMES and metadata["image_size"] == [32, 32]
    assert metadata["multi_label"] is False and metadata["hubmodels_version"]


def test_encoded_images_match_decoded_and_resized_ones(exported):
    model, path = exported
    pixels = _pixels(4, height=40, width=52, seed=5)
    grey = _pixels(1, height=24, width=24, seed=6)[0, :, :, 0]
    encoded = [
        _encode(pixels[0], "PNG"),
        _encode(pixels[1], "JPEG", quality=90),
        _encode(pixels[2], "BMP"),
        _encode(pixels[3], "GIF"),
        _encode(grey, "PNG"),
    ]
    references = np.stack([_decoded_like_serving(data) for data in encoded])
    # The reference decode really is the source image (lossless formats), so serving sees it.
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(encoded[0]))), pixels[0])
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    outputs = served(image_bytes=tf.constant(encoded))
    np.testing.assert_allclose(
        outputs["probabilities"].numpy(), model.predict(references, verbose=0), rtol=0, atol=1e-6
    )
    assert outputs["labels"].shape == (5,)


def test_jpeg_decodes_as_pil_decodes():
    from hubmodels.data.decode import decode_image_bytes

    data = _encode(_pixels(1, 37, 45, seed=7)[0], "JPEG", quality=75)
    decoded = decode_image_bytes(tf.constant(data), (37, 45)).numpy() * 255.0
    pil = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype("float32")
    np.testing.assert_allclose(decoded, pil, atol=1e-3)


def test_corrupt_image_bytes_fail_clearly(exported):
    _, path = exported
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    good = _encode(_pixels(1)[0], "PNG")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown image file format"):
        served(image_bytes=tf.constant([good, b"not an image"]))


def test_image_classifier_exports_its_labels(tiny_image_module, tmp_path):
    labels = [f"name{i}" for i in range(8)]
    model = hubmodels.image_classifier(str(tiny_image_module), labels=labels)
    path = hubmodels.save_model(model, tmp_path / "export")
    images = _floats(_pixels(3, seed=8))
    loaded = hubmodels.load_model(path)
    assert loaded.class_names == labels
    top = hubmodels.predict_top_k(loaded, images, k=1)
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    outputs = served(image_bytes=tf.constant([_encode(p, "PNG") for p in _pixels(3, seed=8)]))
    assert [label.decode() for label in outputs["labels"].numpy()] == [t[0][0] for t in top]


def test_multi_label_export_serves_probabilities_only(tiny_image_module, tmp_path):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 4, multi_label=True)
    path = hubmodels.save_model(model, tmp_path / "export")
    assert hubmodels.load_model(path).multi_label is True
    served = tf.saved_model.load(str(path)).signatures["serve_images"]
    assert set(served.structured_outputs) == {"probabilities"}


def test_tf1_hub_module_fine_tuned_then_exported(real_fixtures, tmp_path):
    layer = ModuleLayer(
        str(real_fixtures / "half_plus_two_v1.tar.gz"),
        trainable=True,
        trainable_filter=lambda name: name == "b",
        name="half_plus_two",
    )
    inputs = keras.Input(shape=(32, 32, 3))
    features = keras.layers.GlobalAveragePooling2D()(layer(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(features))
    model.compile(keras.optimizers.SGD(1.0), "sparse_categorical_crossentropy")
    model.fit(_floats(_pixels(6)), np.arange(6) % 3, epochs=3, verbose=0)
    b = float(layer.module.variable_map["b"].numpy())
    assert b != pytest.approx(2.0)
    path = hubmodels.save_model(model, tmp_path / "export", task="image")
    images = _floats(_pixels(4, seed=9))
    expected = model.predict(images, verbose=0)
    np.testing.assert_allclose(hubmodels.load_model(path).predict(images, verbose=0), expected)
    served = tf.saved_model.load(str(path))
    np.testing.assert_allclose(
        served.signatures["serve_images"](images=tf.constant(images))["probabilities"], expected
    )
    saved_b = [v for v in served.variables if v.name.split(":")[0].endswith("b")]
    assert [float(v.numpy()) for v in saved_b] == [b]


def test_lambda_layers_are_revived_from_the_graph_not_from_bytecode(tmp_path):
    inputs = keras.Input(shape=(8, 8, 3))
    doubled = keras.layers.Lambda(lambda x: 2.0 * x, name="double")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(doubled)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(pooled))
    path = hubmodels.save_model(model, tmp_path / "export", task="image")
    loaded = hubmodels.load_model(path)
    assert not isinstance(loaded.get_layer("double"), keras.layers.Lambda)
    images = _floats(_pixels(2, 8, 8))
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0))
    assert loaded.class_names is None


def _resize_augmentation(path):
    """An augmentation module whose `from_decoded_images` only resizes."""
    module = tf.Module()
    module.resize = tf.function(
        lambda images, image_size, augmentation: {"default": tf.image.resize(images, image_size)},
        input_signature=[
            tf.TensorSpec([None, None, None, 3], tf.float32, name="images"),
            tf.TensorSpec([2], tf.int32, name="image_size"),
            tf.TensorSpec([], tf.bool, name="augmentation"),
        ],
    )
    tf.saved_model.save(module, str(path), signatures={"from_decoded_images": module.resize})
    return path


def test_any_size_models_take_image_size_or_their_augmentation_size(tiny_image_module, tmp_path):
    inputs = keras.Input(shape=(None, None, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    any_size = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(pooled))
    with pytest.raises(InputError, match=r"accepts images of any size: give image_size"):
        hubmodels.save_model(any_size, tmp_path / "refused", task="image")
    assert not (tmp_path / "refused").exists()
    hubmodels.save_model(any_size, tmp_path / "sized", image_size=(16, 16), task="image")

    augmentation = _resize_augmentation(tmp_path / "augmentation")
    model = hubmodels.feature_vector_classifier(
        str(tiny_image_module), 3, augmentation=str(augmentation)
    )
    path = hubmodels.save_model(model, tmp_path / "augmented")
    assert json.loads((path / "assets" / "hubmodels_model.json").read_text())["image_size"] == [
        32,
        32,
    ]
    data = _encode(_pixels(1, 48, 40)[0], "PNG")
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    expected = model.predict(_decoded_like_serving(data)[None], verbose=0)
    np.testing.assert_allclose(
        served(image_bytes=tf.constant([data]))["probabilities"], expected, atol=1e-6
    )


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_existing_path_is_refused_or_replaced(exported, tiny_image_module, tmp_path):
    first, _ = exported
    path = hubmodels.save_model(first, tmp_path / "export")
    with pytest.raises(InputError, match=r"export already exists: pass overwrite=True"):
        hubmodels.save_model(first, path)
    second = _classifier(tiny_image_module, seed=1)
    images = _floats(_pixels(3, seed=10))
    assert not np.allclose(first.predict(images, verbose=0), second.predict(images, verbose=0))
    hubmodels.save_model(second, path, overwrite=True)
    np.testing.assert_allclose(
        hubmodels.load_model(path).predict(images, verbose=0),
        second.predict(images, verbose=0),
        atol=1e-7,
    )
    assert _listing(tmp_path) == ["export"]


def _fail_after_the_graph_is_written(monkeypatch, folder):
    """Makes tf-keras fail before its last file, once a loadable SavedModel is written."""
    saving = keras.src.saving.legacy.saved_model.save

    def fail(*args, **kwargs):
        written = [str(p.parent) for p in folder.rglob("saved_model.pb")]
        assert any(tf.saved_model.contains_saved_model(p) for p in written)
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(saving, "generate_keras_metadata", fail)


def test_crash_mid_save_leaves_nothing(exported, tmp_path, monkeypatch):
    model, _ = exported
    _fail_after_the_graph_is_written(monkeypatch, tmp_path)
    with pytest.raises(OSError, match="simulated"):
        hubmodels.save_model(model, tmp_path / "export", task="image")
    assert _listing(tmp_path) == []


def test_crash_while_overwriting_keeps_the_previous_export(exported, tiny_image_module, tmp_path):
    model, _ = exported
    path = hubmodels.save_model(model, tmp_path / "export")
    images = _floats(_pixels(3, seed=11))
    before = hubmodels.load_model(path).predict(images, verbose=0)
    other = _classifier(tiny_image_module, seed=2)
    with pytest.MonkeyPatch.context() as patch:
        _fail_after_the_graph_is_written(patch, tmp_path)
        with pytest.raises(OSError, match="simulated"):
            hubmodels.save_model(other, path, overwrite=True)
    with pytest.MonkeyPatch.context() as patch:
        real_rename = os.rename

        def rename(source, target):  # the swap fails after the old export was set aside
            if str(target) == str(path) and "previous" not in str(source):
                raise OSError("rename failed (simulated)")
            return real_rename(source, target)

        patch.setattr(os, "rename", rename)
        with pytest.raises(OSError, match="simulated"):
            hubmodels.save_model(other, path, overwrite=True)
    assert _listing(tmp_path) == ["export"]
    np.testing.assert_array_equal(hubmodels.load_model(path).predict(images, verbose=0), before)


def test_load_model_names_what_is_wrong(tmp_path, keras_savedmodel):
    with pytest.raises(ModuleFormatError, match=r"no hubmodels export at .*missing"):
        hubmodels.load_model(tmp_path / "missing")
    with pytest.raises(ModuleFormatError, match=r"is not a SavedModel folder"):
        hubmodels.load_model(tmp_path)
    with pytest.raises(ModuleFormatError, match=r"is a SavedModel but not a hubmodels export"):
        hubmodels.load_model(keras_savedmodel)


def test_session_only_modules_are_refused(tmp_path):
    from tests.saved_models import write_old_tf1_savedmodel

    module = Module(write_old_tf1_savedmodel(tmp_path / "old", bad_signature="missing_output"))
    inputs = keras.Input(shape=(8, 8, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    outputs = ModuleLayer(module, signature="serving_default")(pooled[:, :2])
    with pytest.raises(ModuleFormatError, match=r"in a TF1 graph session"):
        hubmodels.save_model(keras.Model(inputs, outputs), tmp_path / "export", task="image")
    assert not (tmp_path / "export").exists()


def test_load_model_keeps_the_image_size_of_any_size_models(tiny_image_module, tmp_path):
    model = hubmodels.feature_vector_classifier(
        str(tiny_image_module), 2, augmentation="crop_color"
    )
    assert tuple(model.inputs[0].shape[1:3]) == (None, None)
    loaded = hubmodels.load_model(hubmodels.save_model(model, tmp_path / "augmented"))
    assert loaded.task == "image" and loaded.image_size == (32, 32)


def test_models_without_a_task_need_one_named(tmp_path):
    inputs = keras.Input(shape=(8, 8, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    with pytest.raises(InputError, match=r"task=\.\.\. \(one of image"):
        hubmodels.save_model(model, tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_exports_record_and_import_the_packages_their_ops_need(tmp_path, monkeypatch):
    from hubmodels.export import metadata

    inputs = keras.Input(shape=(8, 8, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    path = hubmodels.save_model(model, tmp_path / "export", task="image")
    assert metadata.read(path)["requires"] == []
    file = path / "assets" / metadata.FILENAME
    found = json.loads(file.read_text())
    file.write_text(json.dumps({**found, "requires": ["os"]}))
    with pytest.raises(ModuleFormatError, match=r"requires the package 'os'.*allowed"):
        hubmodels.load_model(path)


@pytest.mark.parametrize("fast_jpeg", [True, False])
def test_serving_decodes_jpegs_as_the_training_data_did(tiny_image_module, tmp_path, fast_jpeg):
    from hubmodels.data import decode_image_bytes

    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 3, class_names=NAMES)
    path = hubmodels.save_model(model, tmp_path / "export", fast_jpeg=fast_jpeg)
    assert hubmodels.load_model(path).fast_jpeg is fast_jpeg
    noisy = np.random.default_rng(3).integers(0, 256, (96, 80, 3), dtype=np.uint8)
    data = _encode(noisy, "JPEG", quality=90)  # 3x the input size: reduced-scale decode applies
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    got = served(image_bytes=tf.constant([data]))["probabilities"].numpy()
    for choice in (fast_jpeg, not fast_jpeg):
        images = decode_image_bytes(tf.constant(data), (32, 32), fast_jpeg=choice)[None]
        same = np.allclose(got, model.predict(images, verbose=0), atol=1e-6)
        assert same is (choice is fast_jpeg)
