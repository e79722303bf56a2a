import subprocess
import sys

import numpy as np
import pytest

from hubmodels.errors import InputError
from hubmodels.tasks.generation import image_generator
from tests.tasks.generation.conftest import LATENT_DIM, NUM_CLASSES, PROGAN

_SAMPLE_IN_A_NEW_PROCESS = """
import sys, numpy as np
from hubmodels.tasks.generation import image_generator
samples = image_generator(sys.argv[1]).sample(3, seed=11, truncation=1.5)
np.savez(sys.argv[2], images=samples.images, latents=samples.latents)
"""


@pytest.fixture(scope="module")
def progan():
    return image_generator(PROGAN)


def test_progan_spec_and_range_come_from_its_signature_and_tfhub_name(progan):
    assert progan.latent_dim == 512 and progan.num_classes is None
    assert progan.spec.truncation_key is None
    assert progan.output_range == (0.0, 1.0)  # KNOWN_RANGES, via the stand-in's card


def test_same_seed_same_images_in_another_process(progan, tmp_path):
    here = progan.sample(3, seed=11, truncation=1.5)
    assert here.images.shape == (3, 128, 128, 3) and here.seed == 11
    assert 0.0 <= here.images.min() and here.images.max() <= 1.0
    out = tmp_path / "there.npz"
    subprocess.run([sys.executable, "-c", _SAMPLE_IN_A_NEW_PROCESS, PROGAN, str(out)], check=True)
    there = np.load(out)
    np.testing.assert_array_equal(there["latents"], here.latents)
    np.testing.assert_array_equal(there["images"], here.images)
    other = progan.sample(3, seed=12)
    assert not np.allclose(other.images, here.images)


def test_truncation_bounds_the_latents_and_no_seed_draws_a_kept_one(progan):
    samples = progan.sample(2, truncation=0.5)
    assert np.abs(samples.latents).max() <= 0.5
    again = progan.sample(2, seed=samples.seed, truncation=0.5)
    np.testing.assert_array_equal(again.latents, samples.latents)


def test_interpolation_ends_are_the_samples(progan):
    first, second = progan.sample(1, seed=1), progan.sample(1, seed=2)
    walk = progan.interpolate(first.latents[0], second.latents[0], 4)
    assert walk.images.shape == (4, 128, 128, 3)
    np.testing.assert_allclose(walk.images[0], first.images[0], atol=1e-4)
    np.testing.assert_allclose(walk.images[-1], second.images[0], atol=1e-4)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda g: g.sample(0), "n must be an integer >= 1"),
        (lambda g: g.sample(2, truncation=0), "truncation must be a number > 0"),
        (lambda g: g.generate(np.zeros((2, 100))), r"latents \[batch, 512\], got shape \(2, 100\)"),
        (lambda g: g.sample(2, classes=1), "not conditional"),
    ],
)
def test_bad_requests_get_clear_errors(progan, call, message):
    with pytest.raises(InputError, match=message):
        call(progan)


def test_conditional_module_takes_classes_and_truncation(tiny_biggan):
    generator = image_generator(tiny_biggan, output_range=(-1, 1))
    assert generator.spec.latent_key == "z" and generator.latent_dim == LATENT_DIM
    assert generator.spec.class_key == "y" and generator.num_classes == NUM_CLASSES
    assert generator.spec.truncation_key == "truncation"
    samples = generator.sample(6, seed=0, classes=[0, 1, 2, 0, 1, 2])
    assert samples.classes.tolist() == [0, 1, 2, 0, 1, 2]
    # classes change the images; truncation is fed to the module too
    other = generator.generate(samples.latents, classes=[1, 2, 0, 1, 2, 0])
    assert not np.allclose(other, samples.images)
    truncated = generator.sample(6, seed=0, truncation=0.3, classes=samples.classes)
    assert np.abs(truncated.latents).max() <= 0.3 * 2.0  # BigGAN: t times a normal cut at 2
    drawn = generator.sample(50, seed=0)
    assert set(drawn.classes.tolist()) == {0, 1, 2}
    with pytest.raises(InputError, match=r"class 3 is outside .* 0 to 2"):
        generator.sample(2, classes=3)
    with pytest.raises(InputError, match="is conditional: pass classes"):
        generator.generate(samples.latents)


def test_output_range_maps_images_to_unit_interval(tiny_biggan, tiny_declared):
    with pytest.raises(InputError, match=r"does not declare the range .* pass output_range"):
        image_generator(tiny_biggan)
    latents = np.random.default_rng(0).standard_normal((4, LATENT_DIM)).astype("float32")
    classes = [0, 1, 2, 0]
    unit = image_generator(tiny_biggan, output_range=(-1, 1)).generate(latents, classes)
    raw = image_generator(tiny_biggan, output_range=(0, 1)).generate(latents, classes)
    assert unit.min() < 0.2 and unit.max() > 0.8
    kept = raw > 0  # the (0, 1) reading clips the negative half
    np.testing.assert_allclose((2 * unit - 1)[kept], raw[kept], atol=1e-5, rtol=0)
    declared = image_generator(tiny_declared)
    assert declared.output_range == (-1.0, 1.0)
    with pytest.raises(InputError, match="low < high"):
        image_generator(tiny_declared, output_range=(1, 1))


def test_a_module_that_takes_no_latent_is_refused(tiny_image_module):
    with pytest.raises(InputError, match=r"takes \{images: .*\}, not a latent vector"):
        image_generator(tiny_image_module, output_range=(0, 1))
