"""The image_augmentation zoo modules, built once per session and loaded as SavedModels."""

import io
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from hubmodels._keras import tf
from hubmodels.zoo import augmentation, registry

NAMES = ("image_augmentation/crop_color", "image_augmentation/nas_svhn")
SIZE = tf.constant([20, 28])


def _encode(array, fmt, mode=None):
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, fmt)
    return buffer.getvalue()


def _rgb(height, width, seed):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.fixture(scope="session")
def module_dirs(tmp_path_factory):
    dirs = {}
    for name in NAMES:
        out = tmp_path_factory.mktemp(name.replace("/", "_"))
        registry.get(name).builder(out)
        dirs[name] = out
    return dirs


@pytest.fixture(scope="session")
def modules(module_dirs):
    return {name: tf.saved_model.load(str(path)) for name, path in module_dirs.items()}


@pytest.fixture(scope="session")
def encoded_mix():
    """Six images of different sizes and formats: RGB PNG and JPEG, grey, RGBA, GIF, BMP."""
    rgba = np.concatenate([_rgb(16, 12, 4), np.full((16, 12, 1), 90, np.uint8)], axis=-1)
    return [
        _encode(_rgb(32, 32, 1), "PNG"),
        _encode(_rgb(24, 40, 2), "JPEG"),
        _encode(_rgb(30, 18, 3)[..., 0], "PNG"),
        _encode(rgba, "PNG"),
        _encode(_rgb(10, 14, 5), "GIF"),
        _encode(_rgb(12, 12, 6), "BMP"),
    ]


@pytest.fixture(scope="session")
def decoded_batch():
    return tf.constant(np.stack([_rgb(32, 32, s) for s in range(4)]) / 255.0, tf.float32)


def _plain(encoded):
    image = tf.io.decode_image(encoded, channels=3, dtype=tf.float32, expand_animations=False)
    return tf.image.resize(image, SIZE, method="bilinear").numpy()


def _default(module, encoded, augmentation):
    signature = module.signatures["default"]
    out = signature(
        encoded_images=tf.constant(encoded),
        image_size=SIZE,
        augmentation=tf.constant(augmentation),
    )
    return out["default"].numpy()


def _decoded(module, images, augmentation):
    signature = module.signatures["from_decoded_images"]
    out = signature(images=images, image_size=SIZE, augmentation=tf.constant(augmentation))
    return out["default"].numpy()


@pytest.mark.parametrize("name", NAMES)
def test_registered_as_weightless_image_augmentation(name):
    entry = registry.get(name)
    assert entry.category == "image_augmentation"
    assert entry.sources == () and not entry.is_standin
    assert entry.kind == "no weights (computation only)"


@pytest.mark.parametrize("name", NAMES)
def test_signatures_have_tf_hub_image_augmentation_specs(modules, name):
    signatures = modules[name].signatures
    assert set(signatures) == {"default", "from_decoded_images"}
    common = {
        "image_size": tf.TensorSpec([2], tf.int32, "image_size"),
        "augmentation": tf.TensorSpec([], tf.bool, "augmentation"),
    }
    default_inputs = signatures["default"].structured_input_signature[1]
    assert default_inputs == {
        "encoded_images": tf.TensorSpec([None], tf.string, "encoded_images"),
        **common,
    }
    decoded_inputs = signatures["from_decoded_images"].structured_input_signature[1]
    assert decoded_inputs == {
        "images": tf.TensorSpec([None, None, None, 3], tf.float32, "images"),
        **common,
    }
    for signature in signatures.values():
        assert signature.structured_outputs == {
            "default": tf.TensorSpec([None, None, None, 3], tf.float32, "default")
        }


@pytest.mark.parametrize("name", NAMES)
def test_module_has_no_variables(module_dirs, modules, name):
    checkpoint = str(module_dirs[name] / "variables" / "variables")
    assert [key for key, _ in tf.train.list_variables(checkpoint)] == [
        "_CHECKPOINTABLE_OBJECT_GRAPH"
    ]
    assert all(not s.variables for s in modules[name].signatures.values())


@pytest.mark.parametrize("name", NAMES)
def test_without_augmentation_it_is_decode_and_bilinear_resize(modules, encoded_mix, name):
    out = _default(modules[name], encoded_mix, False)
    expected = np.stack([_plain(e) for e in encoded_mix])
    assert out.shape == (6, 20, 28, 3)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    np.testing.assert_array_equal(out, _default(modules[name], encoded_mix, False))
    grey = out[2]
    np.testing.assert_array_equal(grey[..., 0], grey[..., 1])


@pytest.mark.parametrize("name", NAMES)
def test_from_decoded_without_augmentation_is_bilinear_resize(modules, decoded_batch, name):
    out = _decoded(modules[name], decoded_batch, False)
    expected = tf.image.resize(decoded_batch, SIZE, method="bilinear").numpy()
    np.testing.assert_allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("count", [1, 6])
def test_augmentation_changes_images_and_stays_in_range(modules, encoded_mix, name, count):
    encoded = encoded_mix[:count]
    plain = np.stack([_plain(e) for e in encoded])
    # Each call draws new randomness: over three calls every image should change at least once.
    outputs = [_default(modules[name], encoded, True) for _ in range(3)]
    for out in outputs:
        assert out.shape == (count, 20, 28, 3)
        assert out.min() >= 0.0 and out.max() <= 1.0
    changed = [any(np.abs(out[i] - plain[i]).max() > 0.02 for out in outputs) for i in range(count)]
    assert all(changed)
    assert np.abs(outputs[0] - outputs[1]).max() > 0.02


@pytest.mark.parametrize("name", NAMES)
def test_from_decoded_augmentation_shape_and_range(modules, decoded_batch, name):
    out = _decoded(modules[name], decoded_batch, True)
    assert out.shape == (4, 20, 28, 3) and out.min() >= 0.0 and out.max() <= 1.0
    plain = _decoded(modules[name], decoded_batch, False)
    assert np.abs(out - plain).max() > 0.02


@pytest.mark.parametrize("name", NAMES)
def test_seeded_function_is_reproducible_and_per_image(modules, decoded_batch, name):
    seeded = modules[name].from_decoded_images_with_seed

    def run(images, seed):
        return seeded(images, SIZE, tf.constant(True), tf.constant(seed, tf.int64)).numpy()

    first = run(decoded_batch, [3, 4])
    np.testing.assert_array_equal(first, run(decoded_batch, [3, 4]))
    assert np.abs(first - run(decoded_batch, [3, 5])).max() > 0.02
    # Image i uses fold_in(seed, i): the rest of the batch does not matter.
    np.testing.assert_array_equal(first[:1], run(decoded_batch[:1], [3, 4]))
    assert first.min() >= 0.0 and first.max() <= 1.0


@pytest.mark.parametrize("augment_one", [augmentation.crop_color, augmentation.nas_svhn])
def test_encoded_and_decoded_paths_agree_under_the_same_seed(encoded_mix, augment_one):
    module = augmentation.AugmentationModule(augment_one, call_seed=(1, 2))
    seed = tf.constant([7, 8], tf.int64)
    encoded = tf.constant(encoded_mix[:1] * 2)
    decoded = tf.stack([tf.io.decode_image(e, channels=3, dtype=tf.float32) for e in encoded])
    from_encoded = module.process_encoded(encoded, SIZE, tf.constant(True), seed)
    from_decoded = module.process_decoded(decoded, SIZE, tf.constant(True), seed)
    np.testing.assert_allclose(from_encoded.numpy(), from_decoded.numpy(), atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_each_fresh_load_replays_the_same_sequence(module_dirs, encoded_mix, name):
    first_load = tf.saved_model.load(str(module_dirs[name]))
    calls = [_default(first_load, encoded_mix, True) for _ in range(2)]
    second_load = tf.saved_model.load(str(module_dirs[name]))
    np.testing.assert_array_equal(calls[0], _default(second_load, encoded_mix, True))
    np.testing.assert_array_equal(calls[1], _default(second_load, encoded_mix, True))


_FRESH_PROCESS = textwrap.dedent(
    """
    import sys
    import numpy as np
    from hubmodels._keras import tf

    path, images, out = sys.argv[1], np.load(sys.argv[2]), sys.argv[3]
    results = []
    for global_seed in (1, 2):
        tf.random.set_seed(global_seed)
        signature = tf.saved_model.load(path).signatures["from_decoded_images"]
        results.append(
            signature(images=tf.constant(images), image_size=tf.constant([20, 28]),
                      augmentation=tf.constant(True))["default"].numpy()
        )
    np.save(out, np.stack(results))
    """
)


@pytest.mark.slow
def test_signatures_are_reproducible_in_a_fresh_process(module_dirs, decoded_batch, tmp_path):
    """tf.random.set_seed does not reach a loaded module: its first call is always the same."""
    path = module_dirs["image_augmentation/nas_svhn"]
    np.save(tmp_path / "images.npy", decoded_batch.numpy())
    subprocess.run(
        [
            sys.executable,
            "-c",
            _FRESH_PROCESS,
            str(path),
            str(tmp_path / "images.npy"),
            str(tmp_path / "out.npy"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    seed_1, seed_2 = np.load(tmp_path / "out.npy")
    np.testing.assert_array_equal(seed_1, seed_2)
    here = tf.saved_model.load(str(path))
    np.testing.assert_array_equal(seed_1, _decoded(here, decoded_batch, True))


@pytest.mark.parametrize("name", NAMES)
def test_bytes_of_no_known_format_are_named_by_index(modules, encoded_mix, name):
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"encoded_images\[1\] is not a JPEG"):
        _default(modules[name], [encoded_mix[0], b"not an image at all"], False)


def test_truncated_image_fails_in_the_decoder(modules, encoded_mix):
    with pytest.raises(tf.errors.InvalidArgumentError, match="PNG"):
        _default(modules[NAMES[0]], [encoded_mix[0][:40]], True)


def test_image_size_must_be_positive(modules, decoded_batch):
    signature = modules[NAMES[1]].signatures["from_decoded_images"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="image_size must be two positive"):
        signature(
            images=decoded_batch, image_size=tf.constant([0, 5]), augmentation=tf.constant(False)
        )
