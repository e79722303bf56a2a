"""`hubmodels generate` run as a user runs it: a fresh process, files written, one-line errors.

On the tiny generator that declares its range (8 x 8 images), to keep each process short;
generator_test.py covers the ProGAN stand-in."""

import numpy as np
import pytest
from PIL import Image

from hubmodels.tasks.generation import images_to_grid
from tests.cli.command import run_hubmodels


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("generate_home")


def test_generate_writes_a_grid_of_seeded_samples(home, tmp_path, tiny_declared):
    from hubmodels.tasks.generation import image_generator

    out = tmp_path / "grid.png"
    args = ("generate", "--module", tiny_declared, "--n", 4, "--seed", 3, "--truncation", 1.5)
    result = run_hubmodels(*args, "--out", out, home=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"4 images from seed 3 -> {out}\n"
    with Image.open(out) as image:
        assert image.size == (2 * 10 + 2, 2 * 10 + 2)  # 2 x 2 images of 8 + padding
        written = np.asarray(image)
    here = image_generator(tiny_declared).sample(4, seed=3, truncation=1.5)
    expected = np.round(images_to_grid(here.images) * 255)
    np.testing.assert_allclose(written, expected, atol=1)  # same seed, same picture


def test_generate_interpolate_writes_a_gif_walk(home, tmp_path, tiny_declared):
    out = tmp_path / "walk.gif"
    result = run_hubmodels(
        "generate",
        "--module",
        tiny_declared,
        "--interpolate",
        1,
        2,
        "--steps",
        3,
        "--out",
        out,
        home=home,
    )
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.n_frames == 3 and image.size == (8, 8)


def _one_error_line(result, status=1):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == status, result.stderr
    assert len(lines) == 1 or status == 2, result.stderr  # argparse adds its usage line
    return lines[-1]


def test_generate_errors_are_one_line(home, tmp_path, tiny_image_module):
    bad_out = run_hubmodels("generate", "--module", "m", "--out", tmp_path / "a.jpg", home=home)
    assert "expected a file ending in .png (grid) or .gif" in _one_error_line(bad_out)
    not_latent = run_hubmodels(
        "generate",
        "--module",
        tiny_image_module,
        "--output-range",
        0,
        1,
        "--out",
        tmp_path / "g.png",
        home=home,
    )
    assert "not a latent vector" in _one_error_line(not_latent)
    zero = run_hubmodels("generate", "--module", "m", "--n", 0, "--out", "g.png", home=home)
    assert "--n: expected an integer >= 1, got 0" in _one_error_line(zero, status=2)
