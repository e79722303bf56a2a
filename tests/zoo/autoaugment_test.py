"""AutoAugment's operations, each on a tiny image against PIL or an exact property."""

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from hubmodels._keras import tf
from hubmodels.zoo import autoaugment as aa

FILL = aa.FILL_VALUE


def _uint8_image(height=12, width=16, low=0, high=256):
    return np.random.default_rng(1).integers(low, high, size=(height, width, 3), dtype=np.uint8)


def _float(image_uint8):
    return tf.constant(image_uint8 / 255.0, tf.float32)


def _pil_result(op, image_uint8):
    return np.asarray(op(Image.fromarray(image_uint8)), np.float64) / 255.0


def test_invert_is_one_minus_x():
    x = _float(_uint8_image())
    np.testing.assert_allclose(aa.invert(x).numpy(), 1.0 - x.numpy(), atol=1e-7)


def test_solarize_inverts_values_at_or_above_the_threshold():
    x = tf.constant([[[0.2, 0.5, 0.9]]])
    np.testing.assert_allclose(aa.solarize(x, 0.5).numpy(), [[[0.2, 0.5, 0.1]]], atol=1e-7)
    np.testing.assert_array_equal(aa.solarize(x, 1.0).numpy(), x.numpy())
    image = _uint8_image()
    expected = _pil_result(lambda im: ImageOps.solarize(im, 128), image)
    np.testing.assert_allclose(aa.solarize(_float(image), 128 / 255).numpy(), expected, atol=1e-6)


def test_equalize_matches_pil():
    image = _uint8_image(32, 32, low=60, high=140)  # PIL needs >= 256 pixels to change any
    got = aa.equalize(_float(image)).numpy()
    np.testing.assert_allclose(got, _pil_result(ImageOps.equalize, image), atol=1e-6)
    assert got.max() - got.min() > 0.9 > (image.max() - image.min()) / 255


def test_equalize_keeps_a_constant_image():
    x = tf.fill([5, 7, 3], 100 / 255)
    np.testing.assert_allclose(aa.equalize(x).numpy(), x.numpy(), atol=1e-6)


def test_autocontrast_stretches_each_channel_to_zero_one():
    image = _uint8_image(low=50, high=200)
    got = aa.autocontrast(_float(image)).numpy()
    np.testing.assert_allclose(got.min(axis=(0, 1)), 0.0, atol=1e-6)
    np.testing.assert_allclose(got.max(axis=(0, 1)), 1.0, atol=1e-6)
    # PIL truncates to integer levels: at most one level apart.
    np.testing.assert_allclose(got, _pil_result(ImageOps.autocontrast, image), atol=1.01 / 255)


def test_autocontrast_keeps_a_constant_channel():
    x = np.random.default_rng(0).random((4, 4, 3)).astype(np.float32)
    x[..., 1] = 0.3
    np.testing.assert_allclose(aa.autocontrast(tf.constant(x)).numpy()[..., 1], 0.3, atol=1e-7)


def test_contrast_blends_with_the_mean_grey_level():
    image = _uint8_image()
    x = _float(image)
    np.testing.assert_allclose(aa.contrast(x, 1.0).numpy(), x.numpy(), atol=1e-6)
    grey = aa.contrast(x, 0.0).numpy()
    np.testing.assert_allclose(grey, np.full_like(grey, grey.flat[0]), atol=1e-7)
    expected = _pil_result(lambda im: ImageEnhance.Contrast(im).enhance(0.7), image)
    # PIL rounds the mean to an integer level and the result to levels.
    np.testing.assert_allclose(aa.contrast(x, 0.7).numpy(), expected, atol=1.01 / 255)


def test_rotate_by_zero_is_identity_and_by_90_turns_counter_clockwise():
    x = tf.constant(np.random.default_rng(2).random((9, 9, 3)), tf.float32)
    np.testing.assert_allclose(aa.rotate(x, 0.0).numpy(), x.numpy(), atol=1e-6)
    np.testing.assert_allclose(aa.rotate(x, 90.0).numpy(), np.rot90(x.numpy(), 1), atol=1e-5)
    np.testing.assert_allclose(aa.rotate(x, -90.0).numpy(), np.rot90(x.numpy(), -1), atol=1e-5)


def test_rotate_fills_the_corners_with_grey():
    x = tf.zeros([21, 21, 3])
    rotated = aa.rotate(x, 30.0).numpy()
    assert rotated[0, 0, 0] == pytest.approx(FILL) and rotated[10, 10, 0] == 0.0


def _expected_shift(x, shift_of_row):
    """out[y, c] = x[y, c + shift_of_row(y)], grey where that is outside the image."""
    height, width, _ = x.shape
    out = np.full_like(x, FILL)
    for y in range(height):
        for c in range(width):
            source = c + shift_of_row(y)
            if 0 <= source < width:
                out[y, c] = x[y, source]
    return out


@pytest.mark.parametrize("factor", [1.0, -1.0])
def test_shear_x_moves_row_y_by_factor_times_y(factor):
    x = np.random.default_rng(3).random((6, 10, 3)).astype(np.float32)
    got = aa.shear_x(tf.constant(x), factor).numpy()
    np.testing.assert_allclose(got, _expected_shift(x, lambda y: int(factor * y)), atol=1e-6)
    np.testing.assert_allclose(aa.shear_x(tf.constant(x), 0.0).numpy(), x, atol=1e-6)


@pytest.mark.parametrize("factor", [1.0, -1.0])
def test_shear_y_moves_column_x_by_factor_times_x(factor):
    x = np.random.default_rng(4).random((10, 6, 3)).astype(np.float32)
    got = aa.shear_y(tf.constant(x), factor).numpy()
    expected = _expected_shift(x.transpose(1, 0, 2), lambda c: int(factor * c)).transpose(1, 0, 2)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_shear_x_matches_pil_affine():
    image = _uint8_image()
    expected = _pil_result(
        lambda im: im.transform(im.size, Image.AFFINE, (1, -1, 0, 0, 1, 0), fillcolor=(128,) * 3),
        image,
    )
    got = aa.shear_x(_float(image), -1.0).numpy()
    np.testing.assert_allclose(got, expected, atol=0.51 / 255)  # grey is 0.5 here, 128/255 in PIL


@pytest.mark.parametrize("pixels", [3.0, -2.0])
def test_translate_x_and_y_shift_by_whole_pixels(pixels):
    x = np.random.default_rng(5).random((8, 9, 3)).astype(np.float32)
    got_x = aa.translate_x(tf.constant(x), pixels).numpy()
    np.testing.assert_allclose(got_x, _expected_shift(x, lambda y: int(pixels)), atol=1e-6)
    got_y = aa.translate_y(tf.constant(x), pixels).numpy()
    expected_y = _expected_shift(x.transpose(1, 0, 2), lambda c: int(pixels)).transpose(1, 0, 2)
    np.testing.assert_allclose(got_y, expected_y, atol=1e-6)


def test_svhn_policy_table_is_the_published_one():
    assert len(aa.SVHN_POLICY) == 25
    assert aa.SVHN_POLICY[0] == (("ShearX", 0.9, 4), ("Invert", 0.2, None))
    assert aa.SVHN_POLICY[14] == (("Contrast", 0.3, 3), ("Rotate", 0.8, 4))
    assert aa.SVHN_POLICY[-1] == (("ShearX", 0.7, 2), ("Invert", 0.1, None))
    without_magnitude = {"Invert", "Equalize", "AutoContrast"}
    for sub_policy in aa.SVHN_POLICY:
        assert len(sub_policy) == 2
        for name, probability, level in sub_policy:
            assert name in aa.OPERATIONS and 0.0 <= probability <= 1.0
            assert (level is None) == (name in without_magnitude)
            assert level is None or 0 <= level <= aa.MAX_LEVEL


def test_levels_map_onto_the_paper_ranges():
    x = tf.constant(np.random.default_rng(6).random((7, 11, 3)), tf.float32)
    ops = aa.OPERATIONS

    def close(a, b):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)

    close(ops["ShearX"](x, 9.0, -1.0), aa.shear_x(x, -0.3))
    close(ops["ShearY"](x, 3.0, 1.0), aa.shear_y(x, 0.1))
    close(ops["TranslateX"](x, 9.0, 1.0), aa.translate_x(x, 150 / 331 * 11))
    close(ops["TranslateY"](x, 9.0, -1.0), aa.translate_y(x, -150 / 331 * 7))
    close(ops["Rotate"](x, 6.0, 1.0), aa.rotate(x, 20.0))
    close(ops["Solarize"](x, 0.0, 1.0), x)
    close(ops["Solarize"](x, 9.0, 1.0), aa.invert(x))
    close(ops["Contrast"](x, 9.0, 1.0), aa.contrast(x, 1.9))
    close(ops["Contrast"](x, 0.0, 1.0), aa.contrast(x, 0.1))


def test_apply_policy_applies_each_step_with_its_probability():
    x = tf.constant(np.random.default_rng(7).random((6, 6, 3)), tf.float32)
    seed = tf.constant([1, 2], tf.int64)
    never = ((("Invert", 0.0, None), ("Solarize", 0.0, 9)),)
    always_first = ((("Invert", 1.0, None), ("Solarize", 0.0, 9)),)
    both = ((("Invert", 1.0, None), ("Invert", 1.0, None)),)
    np.testing.assert_array_equal(aa.apply_policy(x, never, seed).numpy(), x.numpy())
    np.testing.assert_allclose(aa.apply_policy(x, always_first, seed).numpy(), 1 - x.numpy())
    np.testing.assert_allclose(aa.apply_policy(x, both, seed).numpy(), x.numpy(), atol=1e-6)


def test_apply_policy_is_a_function_of_the_seed():
    x = tf.constant(np.random.default_rng(8).random((10, 10, 3)), tf.float32)
    outputs = [
        aa.apply_policy(x, aa.SVHN_POLICY, tf.constant([s, 0], tf.int64)).numpy() for s in range(12)
    ]
    again = aa.apply_policy(x, aa.SVHN_POLICY, tf.constant([0, 0], tf.int64)).numpy()
    np.testing.assert_array_equal(outputs[0], again)
    assert all(o.shape == (10, 10, 3) and o.min() >= 0.0 and o.max() <= 1.0 for o in outputs)
    distinct = {o.tobytes() for o in outputs}
    assert len(distinct) >= 8
