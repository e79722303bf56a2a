"""The one image decode: the pipeline's images equal decode_image_bytes, reduced JPEG scale."""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hubmodels._keras import tf
from hubmodels.data import decode_image_bytes, from_folder
from hubmodels.data.decode import UNDECODABLE, decode_kind, jpeg_dimensions

skimage_data = pytest.importorskip("skimage.data")


def _encoded(image: Image.Image, fmt, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _photo(height, width) -> Image.Image:
    """A crop of scikit-image's chelsea (a real photo, 300x451), resized to width x height."""
    return Image.fromarray(skimage_data.chelsea()[20:280, 40:430]).resize((width, height))


def _full_then_scaled(contents, size, ratio):
    image = tf.io.decode_jpeg(contents, channels=3, dct_method="INTEGER_ACCURATE", ratio=ratio)
    return tf.image.resize(image, size, method="bilinear") * (1 / 255)


@pytest.fixture
def encoded_files(tmp_path):
    """tmp/c/NAME: every kind of file decode_image_bytes reads -> {name: bytes}."""
    photo = _photo(96, 144)
    pixels = np.asarray(photo)
    frames = [photo.quantize(32), Image.fromarray(pixels[::-1]).quantize(32)]
    files = {
        "big.jpg": _encoded(photo, "JPEG", quality=90),  # 96x144 for 24x36: decoded at 1/4
        "small.jpg": _encoded(photo.resize((40, 30)), "JPEG", quality=90),  # under 2x: full
        "grey.jpg": _encoded(photo.convert("L"), "JPEG", quality=90),
        "rgb.png": _encoded(photo, "PNG"),
        "grey.png": _encoded(photo.convert("L"), "PNG"),
        "palette.png": _encoded(photo.quantize(64), "PNG"),
        "rgba.png": _encoded(photo.convert("RGBA"), "PNG"),
        "still.gif": _encoded(photo.quantize(64), "GIF"),
        "animated.gif": _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "rgb.bmp": _encoded(photo, "BMP"),
    }
    folder = tmp_path / "c"
    folder.mkdir()
    for name, contents in files.items():
        (folder / name).write_bytes(contents)
    return files


@pytest.mark.parametrize("fast_jpeg", [True, False])
def test_pipeline_images_equal_decode_image_bytes(tmp_path, encoded_files, fast_jpeg):
    size = (24, 36)
    data = from_folder(tmp_path, size, shuffle=False, validation_split=0, fast_jpeg=fast_jpeg)
    assert data.fast_jpeg is fast_jpeg
    images = np.concatenate([batch.numpy() for batch, _ in data.train])
    assert sorted(Path(f).name for f in data.train_files) == sorted(encoded_files)
    for file, image in zip(data.train_files, images):
        contents = encoded_files[Path(file).name]
        expected = decode_image_bytes(tf.constant(contents), size, fast_jpeg).numpy()
        np.testing.assert_array_equal(image, expected, err_msg=file)
    # what each kind decodes to, independently of our code
    decoded = dict(zip((Path(f).name for f in data.train_files), images))
    rgba = np.asarray(Image.open(io.BytesIO(encoded_files["rgba.png"])).convert("RGB"))
    np.testing.assert_allclose(decoded["rgba.png"], tf.image.resize(rgba, size) / 255, atol=1e-6)
    first_frame = Image.open(io.BytesIO(encoded_files["animated.gif"])).convert("RGB")
    np.testing.assert_allclose(
        decoded["animated.gif"], tf.image.resize(np.asarray(first_frame), size) / 255, atol=1e-6
    )
    np.testing.assert_array_equal(decoded["grey.png"][..., 0], decoded["grey.png"][..., 2])
    big = tf.constant(encoded_files["big.jpg"])
    np.testing.assert_array_equal(
        decoded["big.jpg"], _full_then_scaled(big, size, 4 if fast_jpeg else 1)
    )


@pytest.mark.parametrize(
    "size, ratio",
    [
        ((80, 120), 2),  # exactly half
        ((81, 120), 1),  # one row short of half: full decode
        ((80, 121), 1),
        ((41, 61), 2),
        ((40, 60), 4),
        ((21, 31), 4),
        ((20, 30), 8),
        ((4, 6), 8),  # 8 is the smallest scale
    ],
)
def test_jpeg_is_scaled_down_only_while_it_stays_at_least_the_target(size, ratio):
    contents = tf.constant(_encoded(_photo(160, 240), "JPEG", quality=90))
    np.testing.assert_array_equal(
        decode_image_bytes(contents, size), _full_then_scaled(contents, size, ratio)
    )
    np.testing.assert_array_equal(
        decode_image_bytes(contents, size, fast_jpeg=False), _full_then_scaled(contents, size, 1)
    )


@pytest.mark.parametrize(
    "name, size",
    [("chelsea", (150, 225)), ("astronaut", (224, 224)), ("coffee", (100, 150))],
)
def test_scaled_jpeg_is_close_to_the_full_decode(name, size):
    """Measured (levels of 255, scale 1/2): mean 2.6, 2.8, 3.5; 99th percentile 18, 29, 26."""
    contents = tf.constant(_encoded(Image.fromarray(getattr(skimage_data, name)()), "JPEG"))
    fast = decode_image_bytes(contents, size).numpy() * 255
    full = decode_image_bytes(contents, size, fast_jpeg=False).numpy() * 255
    difference = np.abs(fast - full)
    assert 0.5 < difference.mean() < 4.0
    assert np.percentile(difference, 99) < 32


def test_jpeg_header_reading_agrees_with_tensorflow(tmp_path):
    """decode_kind reads the size from the file's header as libjpeg does, whatever comes first."""
    photo = _photo(96, 144)
    exif = Image.Exif()
    exif[0x010E] = "x" * 3000  # ImageDescription: a long APP1 segment before the frame
    variants = {
        "baseline.jpg": _encoded(photo, "JPEG", quality=90),
        "progressive.jpg": _encoded(photo, "JPEG", progressive=True),
        "exif.jpg": _encoded(photo, "JPEG", exif=exif.tobytes()),
        "grey.jpg": _encoded(photo.convert("L").resize((50, 70)), "JPEG"),
    }
    for name, contents in variants.items():
        path = tmp_path / name
        path.write_bytes(contents)
        expected = tuple(tf.io.extract_jpeg_shape(contents).numpy()[:2])
        assert jpeg_dimensions(str(path)) == expected, name
    png = tmp_path / "a.png"
    png.write_bytes(_encoded(photo, "PNG"))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(variants["exif.jpg"][:200])  # ends inside the EXIF segment
    assert jpeg_dimensions(str(png)) is None and jpeg_dimensions(str(cut)) is None
    big = str(tmp_path / "baseline.jpg")  # 96x144
    assert decode_kind(big, (24, 36)) == "jpeg/4"
    assert decode_kind(big, (50, 36)) == "jpeg/1"
    assert decode_kind(big, (24, 36), fast_jpeg=False) == "jpeg/1"
    assert decode_kind(str(png), (24, 36)) == "any"
    assert decode_kind(str(cut), (24, 36)) == "auto"  # decode_image_bytes chooses (and fails)


@pytest.mark.parametrize("name", ["big.jpg", "small.jpg", "rgb.png"])
def test_pipeline_of_alike_files_decodes_as_decode_image_bytes(tmp_path, encoded_files, name):
    """All files of one kind: the pipeline decodes without choosing, with the same pixels."""
    size = (24, 36)
    folder = tmp_path / "alike" / "c"
    folder.mkdir(parents=True)
    for i in range(3):
        (folder / f"{i}{Path(name).suffix}").write_bytes(encoded_files[name])
    data = from_folder(folder.parent, size, shuffle=False, validation_split=0)
    expected = decode_image_bytes(tf.constant(encoded_files[name]), size).numpy()
    for image in np.concatenate([batch.numpy() for batch, _ in data.train]):
        np.testing.assert_array_equal(image, expected)


def test_decode_image_bytes_in_a_serving_function():
    """Traced the way a serving signature calls it (string [None] -> tf.map_fn): same pixels."""
    size = (30, 45)
    encoded = [_encoded(_photo(96, 144), "JPEG"), _encoded(_photo(20, 30).convert("L"), "PNG")]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def serve(image_bytes):
        return tf.map_fn(
            lambda contents: decode_image_bytes(contents, size),
            image_bytes,
            fn_output_signature=tf.TensorSpec([*size, 3], tf.float32),
        )

    served = serve(tf.constant(encoded)).numpy()
    for image, contents in zip(served, encoded):
        np.testing.assert_array_equal(image, decode_image_bytes(contents, size))


# Bad files --------------------------------------------------------------------------------


def _truncated_jpeg(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    path.write_bytes(_encoded(Image.fromarray(pixels), "JPEG")[:400])
    return str(path)


def _good_pngs(folder, count):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.new("RGB", (6, 6), (i * 10, 0, 0)).save(folder / f"{i:02d}.png")


def test_bad_file_in_the_last_batch_is_named(tmp_path):
    _good_pngs(tmp_path / "a", 9)
    bad = _truncated_jpeg(tmp_path / "a" / "zz.jpg")  # the last file: its batch is the last
    data = from_folder(tmp_path, (6, 6), batch_size=4, shuffle=False, validation_split=0)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=rf"cannot decode image file {re.escape(bad)}: "
    ):
        for _ in data.train:
            pass


def test_skipping_keeps_the_good_images_of_a_batch_and_its_order(tmp_path):
    _good_pngs(tmp_path / "a", 10)
    bad = [_truncated_jpeg(tmp_path / "a" / f"{i:02d}x.jpg") for i in (2, 3, 9)]  # 02x, 03x, 09x
    data = from_folder(
        tmp_path, (6, 6), batch_size=4, shuffle=False, validation_split=0, skip_errors=True
    )
    with pytest.warns(UserWarning) as record:
        batches = [(images.numpy(), labels.numpy()) for images, labels in data.train]
    assert sorted(str(w.message) for w in record) == [
        f"skipped image file {path}: cannot decode it ({UNDECODABLE})" for path in bad
    ]
    reds = np.concatenate([images[:, 0, 0, 0] for images, _ in batches]) * 255
    np.testing.assert_allclose(reds, np.arange(10) * 10, atol=1e-3)  # all good ones, in order
    assert sum(len(labels) for _, labels in batches) == 10
