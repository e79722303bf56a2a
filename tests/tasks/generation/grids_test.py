import numpy as np
import pytest
from PIL import Image

from hubmodels.errors import InputError
from hubmodels.tasks.generation import grids


def _images(n, size=4):
    return np.stack([np.full((size, size, 3), i / max(n - 1, 1), "float32") for i in range(n)])


def test_grid_places_images_row_by_row_with_padding():
    grid = grids.images_to_grid(_images(5), cols=3, pad=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    np.testing.assert_array_equal(grid[1:5, 1:5], np.zeros((4, 4, 3)))  # image 0
    np.testing.assert_allclose(grid[6:10, 1:5], np.full((4, 4, 3), 0.75))  # image 3
    np.testing.assert_array_equal(grid[0], 1.0)  # padding
    np.testing.assert_array_equal(grid[6:10, 11:15], 1.0)  # the empty sixth cell


def test_save_grid_writes_a_png(tmp_path):
    path = grids.save_grid(_images(4), tmp_path / "grid.png", pad=0)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (8, 8)
        assert np.asarray(image)[7, 7].tolist() == [255, 255, 255]
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"]  # no temporary left


def test_save_animation_writes_one_gif_frame_per_image(tmp_path):
    path = grids.save_animation(_images(3), tmp_path / "walk.gif")
    with Image.open(path) as image:
        assert image.format == "GIF" and image.n_frames == 3


@pytest.mark.parametrize(
    "images, options, message",
    [
        (np.zeros((2, 4, 4)), {}, r"\[n, height, width, 3\]"),
        (np.zeros((0, 4, 4, 3)), {}, "n >= 1"),
        (np.zeros((2, 4, 4, 3)), {"cols": 0}, "cols must be"),
        (np.zeros((2, 4, 4, 3)), {"pad": -1}, "pad must be"),
    ],
)
def test_grid_refuses_bad_input(images, options, message):
    with pytest.raises(InputError, match=message):
        grids.images_to_grid(images, **options)


def test_save_grid_names_a_missing_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        grids.save_grid(_images(1), tmp_path / "absent" / "grid.png")
