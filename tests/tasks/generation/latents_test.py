import numpy as np
import pytest

from hubmodels.errors import InputError
from hubmodels.tasks.generation import latents


def test_truncated_normal_redraws_values_beyond_the_threshold():
    values = latents.truncated_normal(np.random.default_rng(0), (2000, 16), 0.5)
    assert values.dtype == np.float32 and values.shape == (2000, 16)
    assert np.abs(values).max() <= 0.5
    # resampling keeps the normal's shape inside: not clipped to the edges
    assert np.mean(np.abs(values) > 0.49) < 0.05
    untruncated = latents.truncated_normal(np.random.default_rng(0), (2000, 16), None)
    assert np.abs(untruncated).max() > 3


def test_the_same_seed_gives_the_same_values():
    a = latents.truncated_normal(np.random.default_rng(7), (3, 5), 1.0)
    b = latents.truncated_normal(np.random.default_rng(7), (3, 5), 1.0)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", ["slerp", "lerp"])
def test_interpolate_includes_both_ends_exactly(method):
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal(32).astype("float32"), rng.standard_normal(32).astype("float32")
    path = latents.interpolate(z0, z1, 5, method)
    assert path.shape == (5, 32)
    np.testing.assert_array_equal(path[0], z0)
    np.testing.assert_array_equal(path[-1], z1)


def test_slerp_follows_the_sphere_and_lerp_the_line():
    z0, z1 = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    middle_slerp = latents.interpolate(z0, z1, 3, "slerp")[1]
    middle_lerp = latents.interpolate(z0, z1, 3, "lerp")[1]
    np.testing.assert_allclose(np.linalg.norm(middle_slerp), 3.0, rtol=1e-6)
    np.testing.assert_allclose(middle_lerp, [1.5, 1.5])


@pytest.mark.parametrize(
    "z0, z1, steps, method, message",
    [
        (np.zeros(4), np.zeros(5), 3, "slerp", "same size"),
        (np.zeros(4), np.zeros(4), 1, "slerp", "steps must be >= 2"),
        (np.zeros(4), np.zeros(4), 0, "slerp", "steps must be an integer >= 1"),
        (np.zeros(4), np.zeros(4), 3, "cubic", "'slerp' or 'lerp'"),
    ],
)
def test_interpolate_refuses_bad_input(z0, z1, steps, method, message):
    with pytest.raises(InputError, match=message):
        latents.interpolate(z0, z1, steps, method)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), "big"])
def test_truncation_must_be_positive(value):
    with pytest.raises(InputError, match="truncation must be a number > 0"):
        latents.check_truncation(value)
