import numpy as np
import pytest

from hubmodels.errors import InputError
from hubmodels.tasks.generation import find_latent, image_generator


@pytest.fixture(scope="module")
def generator(tiny_biggan):
    return image_generator(tiny_biggan, output_range=(-1, 1))


def test_find_latent_recovers_an_image_made_from_a_known_latent(generator):
    target = generator.sample(1, seed=5, classes=2)
    found = find_latent(generator, target.images[0], steps=300, classes=2, seed=0)
    start = generator.sample(1, seed=0, classes=2)  # where the search began
    assert found.latents.shape == (1, generator.latent_dim)
    before = np.abs(start.images - target.images).mean()
    after = np.abs(found.images - target.images).mean()
    assert after < 0.03 and after < before / 4, (before, after)
    # without the norm term (which pulls ||z|| towards sqrt(8)), the latent itself comes back
    exact = find_latent(generator, target.images[0], steps=300, classes=2, norm_weight=0.0)
    np.testing.assert_allclose(exact.latents, target.latents, atol=1e-3)


def test_find_latent_refuses_an_image_of_another_size(generator):
    with pytest.raises(InputError, match=r"makes images \(8, 8, 3\), the target image is"):
        find_latent(generator, np.zeros((4, 4, 3)), steps=1, classes=0)
