"""The digits GAN trained by the zoo: deterministic training, ProGAN's interface, real digits.

The slow tests build (train) the module once per session, about a minute on 2 cores.
"""

import numpy as np
import pytest

from hubmodels.hub import card
from hubmodels.hub.module import Module
from hubmodels.tasks.generation import find_latent, image_generator
from hubmodels.zoo import digits_gan

HANDLE = "hubmodels://digits_gan/generator"


def test_training_is_deterministic_from_its_seed():
    first = digits_gan.train(steps=3, seed=0)
    again = digits_gan.train(steps=3, seed=0)
    other = digits_gan.train(steps=3, seed=1)
    assert sorted(first) == sorted(digits_gan.initial_weights(np.random.default_rng(0))[0])
    for name in first:
        np.testing.assert_array_equal(first[name], again[name], err_msg=name)
    assert not np.array_equal(first["dense/w"], other["dense/w"])


@pytest.fixture(scope="module")
def generator():
    return image_generator(HANDLE)


@pytest.mark.slow  # builds (trains) the module once per session, ~1 min
def test_module_has_progans_interface_and_a_card(generator):
    module = Module(HANDLE)
    inputs = module.get_input_info_dict()
    assert inputs["default"].shape.as_list() == [None, digits_gan.LATENT_DIM]
    assert inputs["y"].shape.as_list() == [None, digits_gan.NUM_CLASSES]
    outputs = module.get_output_info_dict()
    assert outputs["default"].shape.as_list() == [None, 32, 32, 3]
    assert card.read(module.path)["category"] == "image_generator"
    assert generator.output_range == (0.0, 1.0)  # declared by the module itself
    assert generator.num_classes == 10 and generator.latent_dim == 32


@pytest.mark.slow  # builds (trains) the module once per session, ~1 min
def test_generated_digits_are_read_as_the_requested_digit(generator):
    from hubmodels.tasks.generation import quality

    judge = quality.digits_judge()
    figures = quality.measure(generator, judge, per_class=20, seed=0)
    assert figures["accuracy"] > 0.85, figures
    assert min(figures["per_class_accuracy"]) > 0.6, figures
    assert figures["frechet_generated"] < figures["frechet_noise"] / 3, figures
    images = figures["samples"].images
    assert images.shape == (200, 32, 32, 3) and 0 <= images.min() and images.max() <= 1


@pytest.mark.slow  # builds (trains) the module once per session, ~1 min
def test_find_latent_recovers_a_generated_digit(generator):
    target = generator.sample(1, seed=3, classes=7)
    found = find_latent(generator, target.images[0], steps=300, classes=7, seed=0)
    start = generator.sample(1, seed=0, classes=7)
    before = np.abs(start.images - target.images).mean()
    after = np.abs(found.images - target.images).mean()
    assert after < before / 3 and after < 0.03, (before, after)


def test_registered_as_trained_here():
    from hubmodels.zoo import registry

    assert registry.get("digits_gan/generator").kind.startswith("real weights trained here on")
