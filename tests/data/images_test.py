"""Image pipelines on real files written with PIL: classes, splits, CSV labels, bad files."""

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hubmodels._keras import tf
from hubmodels.data import from_csv, from_folder, image_size_for
from hubmodels.data.decode import UNDECODABLE
from hubmodels.errors import InputError
from hubmodels.hub.module import Module

# Class k is drawn in BASES[k] (its dominant channel is k) at a brightness unique to the file.
BASES = np.array([[1.0, 0.2, 0.2], [0.2, 1.0, 0.2], [0.2, 0.2, 1.0]])
FORMATS = (("jpg", (12, 16)), ("png", (8, 8)), ("gif", (6, 10)), ("bmp", (9, 7)))
CLASSES = ("cat", "chat noir é", "dog")  # sorted; a space and a non-ASCII letter on purpose


def _write(path, label, brightness, size=(8, 8)):
    """A solid image of class `label` at `brightness` (0-255) in the format of path's suffix."""
    colour = np.round(BASES[label] * brightness).astype(np.uint8)
    image = Image.fromarray(np.broadcast_to(colour, (*size, 3)).copy())
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gif":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
    image.save(path, quality=95) if path.suffix == ".jpg" else image.save(path)
    return str(path)


def _truncated_jpeg(path):
    """A JPEG cut short: its header is right, decoding fails."""
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(path, quality=90)
    path.write_bytes(path.read_bytes()[:400])
    return str(path)


@pytest.fixture
def tree(tmp_path):
    """tree/{cat,chat noir é,dog}/ with a JPEG, PNG, GIF and BMP each, plus files to ignore.

    Returns (root, {file: (label, brightness)}).
    """
    root = tmp_path / "my images"
    files = {}
    brightness = 120
    for label, name in enumerate(CLASSES):
        for fmt, size in FORMATS:
            brightness += 9
            path = _write(root / name / f"img {fmt}.{fmt.upper()}", label, brightness, size)
            files[path] = (label, brightness)
    brightness += 9
    files[_write(root / "dog" / "puppies" / "p.png", 2, brightness)] = (2, brightness)
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "cat" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "README.md").write_text("top-level files are ignored")
    _write(root / "dog" / ".thumbs" / "t.png", 2, 10)
    _write(root / ".ipynb_checkpoints" / "x.png", 0, 10)
    return root, files


def _collect(dataset):
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in dataset])
    return np.concatenate(images), np.concatenate(labels)


def _colour_labels(images):
    return images.mean(axis=(1, 2)).argmax(axis=-1)


def _brightness(images):
    return images.max(axis=(1, 2, 3)) * 255


def test_folder_tree_gives_classes_labels_and_images(tree):
    root, files = tree
    data = from_folder(root, (8, 8), batch_size=5, validation_split=0.25, seed=1)
    assert data.class_names == list(CLASSES) and not data.multi_label and data.num_classes == 3
    assert sorted(data.train_files + data.validation_files) == sorted(files)
    assert (data.num_train, data.num_validation) == (10, 3)
    for dataset, part in ((data.train, data.train_files), (data.validation, data.validation_files)):
        images, labels = _collect(dataset)
        assert images.shape == (len(part), 8, 8, 3) and images.dtype == np.float32
        assert labels.dtype == np.int32
        assert 0 <= images.min() and images.max() <= 1
        np.testing.assert_array_equal(_colour_labels(images), labels)
        assert sorted(labels) == sorted(files[f][0] for f in part)


def test_split_is_deterministic_with_the_seed(tree):
    root, _ = tree
    first = from_folder(root, (8, 8), validation_split=0.25, seed=1)
    again = from_folder(root, (8, 8), validation_split=0.25, seed=1)
    other = from_folder(root, (8, 8), validation_split=0.25, seed=2)
    assert first.validation_files == again.validation_files
    assert first.train_files == again.train_files
    assert other.validation_files != first.validation_files
    assert not set(first.train_files) & set(first.validation_files)
    whole = from_folder(root, (8, 8), validation_split=0)
    assert whole.validation is None and (whole.num_train, whole.num_validation) == (13, 0)


def test_shuffle_is_seeded_and_new_every_epoch(tree):
    root, files = tree
    first = from_folder(root, (8, 8), batch_size=4, seed=3, validation_split=0)
    again = from_folder(root, (8, 8), batch_size=4, seed=3, validation_split=0)
    epoch1, labels1 = _collect(first.train)
    epoch2, _ = _collect(first.train)
    np.testing.assert_array_equal(epoch1, _collect(again.train)[0])
    assert not np.array_equal(_brightness(epoch1), _brightness(epoch2))
    np.testing.assert_allclose(np.sort(_brightness(epoch1)), np.sort(_brightness(epoch2)))
    np.testing.assert_array_equal(_colour_labels(epoch1), labels1)

    ordered = from_folder(root, (8, 8), shuffle=False, validation_split=0)
    images, labels = _collect(ordered.train)
    expected = [files[f] for f in ordered.train_files]
    np.testing.assert_array_equal(labels, [label for label, _ in expected])
    # JPEG moves a solid colour by a level or two
    np.testing.assert_allclose(_brightness(images), [b for _, b in expected], atol=3)


def test_cache_gives_the_same_images(tree):
    root, _ = tree
    plain = _collect(from_folder(root, (8, 8), shuffle=False, validation_split=0).train)
    cached = from_folder(root, (8, 8), shuffle=False, validation_split=0, cache=True)
    for _ in range(2):
        images, labels = _collect(cached.train)
        np.testing.assert_array_equal(images, plain[0])
        np.testing.assert_array_equal(labels, plain[1])
    shuffled = from_folder(root, (8, 8), validation_split=0, cache=True, seed=4)
    epoch1, epoch2 = _collect(shuffled.train), _collect(shuffled.train)
    assert not np.array_equal(epoch1[1], epoch2[1]) or not np.array_equal(epoch1[0], epoch2[0])
    np.testing.assert_array_equal(_colour_labels(epoch2[0]), epoch2[1])


def test_decodes_png_bmp_gif_exactly(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    pixels = np.random.default_rng(0).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(folder / "x.png")
    Image.fromarray(pixels).save(folder / "x.bmp")
    Image.fromarray(pixels).quantize(16).save(folder / "x.gif")
    Image.new("RGBA", (9, 6), (10, 20, 30, 0)).save(folder / "alpha.png")
    Image.new("L", (9, 6), 77).save(folder / "grey.png")
    data = from_folder(tmp_path, (6, 9), shuffle=False, validation_split=0)
    decoded = {
        Path(f).name: image * 255 for f, image in zip(data.train_files, _collect(data.train)[0])
    }
    expected = {
        "x.png": pixels,
        "x.bmp": pixels,
        "x.gif": np.asarray(Image.open(folder / "x.gif").convert("RGB")),
        "alpha.png": np.broadcast_to([10, 20, 30], (6, 9, 3)),
        "grey.png": np.full((6, 9, 3), 77),
    }
    assert sorted(decoded) == sorted(expected)
    for name, pixels in expected.items():
        np.testing.assert_allclose(decoded[name], pixels, atol=1e-3, err_msg=name)


def test_real_photo_decodes_like_pil(tmp_path):
    skimage_data = pytest.importorskip("skimage.data")
    photo = skimage_data.chelsea()  # uint8 [300, 451, 3]
    path = tmp_path / "cats" / "chelsea.jpg"
    path.parent.mkdir()
    Image.fromarray(photo).save(path, quality=90)
    pil = np.asarray(Image.open(path).convert("RGB"), np.float32)

    full = from_folder(tmp_path, photo.shape[:2], validation_split=0)
    image = _collect(full.train)[0][0] * 255
    np.testing.assert_allclose(image, pil, atol=1e-3)  # libjpeg-turbo, accurate integer DCT
    assert np.abs(image - photo).mean() < 3.0  # JPEG at quality 90

    small = _collect(from_folder(tmp_path, (150, 225), validation_split=0).train)[0][0]
    assert small.shape == (150, 225, 3)
    np.testing.assert_allclose(small.mean(axis=(0, 1)) * 255, photo.mean(axis=(0, 1)), atol=1.0)


# CSV ----------------------------------------------------------------------------------


def test_csv_single_label_relative_paths_and_numeric_classes(tmp_path):
    rows = [("a 1.png", "2", 100), ("sub/b.jpg", "10", 150), ("c.bmp", "1", 200)]
    labels_for_colour = {"1": 0, "2": 1, "10": 2}
    folder = tmp_path / "lists é"
    for name, label, brightness in rows:
        _write(folder / name, labels_for_colour[label], brightness)
    absolute = _write(tmp_path / "elsewhere" / "d.gif", 2, 220)
    lines = ["file,label,other"] + [f"{n},{lb},x" for n, lb, _ in rows] + [f"{absolute},10,y"]
    (folder / "list.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    data = from_csv(
        folder / "list.csv", (8, 8), path_column="file", shuffle=False, validation_split=0
    )
    assert data.class_names == ["1", "2", "10"] and not data.multi_label
    assert data.train_files == (*(str(folder / n) for n, _, _ in rows), absolute)
    images, labels = _collect(data.train)
    np.testing.assert_array_equal(labels, [1, 2, 0, 2])
    np.testing.assert_array_equal(_colour_labels(images), labels)
    np.testing.assert_allclose(_brightness(images), [100, 150, 200, 220], atol=3)


def test_csv_root_resolves_relative_paths(tmp_path):
    _write(tmp_path / "images" / "x.png", 0, 100)
    _write(tmp_path / "images" / "y.png", 1, 100)
    csv_file = tmp_path / "meta" / "train.csv"
    csv_file.parent.mkdir()
    csv_file.write_text("path,label\nx.png,cat\ny.png,dog\n")
    data = from_csv(csv_file, (4, 4), root=tmp_path / "images", validation_split=0, shuffle=False)
    assert data.class_names == ["cat", "dog"]
    np.testing.assert_array_equal(_collect(data.train)[1], [0, 1])


@pytest.mark.parametrize("separator", ["|", " "])
def test_csv_multi_label_gives_multi_hot(tmp_path, separator):
    labels = [["cat", "dog"], ["dog"], [], ["bird", "cat"], ["bird", "dog", "cat"]]
    for i in range(len(labels)):
        _write(tmp_path / f"{i}.png", 0, 100 + 20 * i)
    cells = [
        f" {separator} ".join(names) if separator == "|" else " ".join(names) for names in labels
    ]
    (tmp_path / "t.csv").write_text(
        "path,tags\n" + "".join(f'{i}.png,"{c}"\n' for i, c in enumerate(cells))
    )
    data = from_csv(
        tmp_path / "t.csv",
        (4, 4),
        label_column="tags",
        label_separator=separator,
        shuffle=False,
        validation_split=0,
        batch_size=2,
    )
    assert data.multi_label and data.class_names == ["bird", "cat", "dog"]
    images, multi_hot = _collect(data.train)
    expected = [[float(c in names) for c in data.class_names] for names in labels]
    assert multi_hot.dtype == np.float32
    np.testing.assert_array_equal(multi_hot, expected)
    np.testing.assert_allclose(_brightness(images), 100 + 20 * np.arange(5), atol=1e-3)


def test_csv_errors_name_the_file_and_column(tmp_path):
    (tmp_path / "a.csv").write_text("image,label\nx.png,cat\n")
    with pytest.raises(InputError, match=r"a\.csv has no column 'path'.*\['image', 'label'\]"):
        from_csv(tmp_path / "a.csv", (8, 8))
    (tmp_path / "b.csv").write_text("path,label\n")
    with pytest.raises(InputError, match=r"b\.csv lists no images"):
        from_csv(tmp_path / "b.csv", (8, 8))
    _write(tmp_path / "x.png", 0, 100)
    (tmp_path / "c.csv").write_text("path,label\nx.png,cat\nx.png,\n")
    with pytest.raises(InputError, match=r"c\.csv, line 3: empty 'label' cell"):
        from_csv(tmp_path / "c.csv", (8, 8))
    with pytest.raises(InputError, match=r"cannot read CSV file .*missing\.csv"):
        from_csv(tmp_path / "missing.csv", (8, 8))


# Bad and missing files ------------------------------------------------------------------


def test_empty_folders_are_errors_naming_the_path(tmp_path):
    with pytest.raises(InputError, match=r"no class subfolders"):
        from_folder(tmp_path, (8, 8))
    (tmp_path / "cat").mkdir()
    _write(tmp_path / "cat" / "a.png", 0, 100)
    (tmp_path / "dog").mkdir()
    (tmp_path / "dog" / "readme.txt").write_text("no images here")
    with pytest.raises(InputError, match=r"class folder .*dog has no images"):
        from_folder(tmp_path, (8, 8))
    with pytest.raises(InputError, match=r"does not exist"):
        from_folder(tmp_path / "nope", (8, 8))


def test_missing_file_is_named_or_skipped_with_a_warning(tmp_path):
    for i in range(4):
        _write(tmp_path / f"{i}.png", i % 2, 100)
    (tmp_path / "l.csv").write_text(
        "path,label\n" + "".join(f"{i}.png,{i % 2}\n" for i in range(4)) + "gone é.jpg,1\n"
    )
    missing = str(tmp_path / "gone é.jpg")
    with pytest.raises(
        InputError, match=rf"1 image file\(s\) cannot be read: {re.escape(missing)} \(missing\)"
    ):
        from_csv(tmp_path / "l.csv", (8, 8))
    with pytest.warns(
        UserWarning, match=rf"skipped 1 image file\(s\): {re.escape(missing)} \(missing\)"
    ):
        data = from_csv(tmp_path / "l.csv", (8, 8), skip_errors=True, validation_split=0)
    assert data.skipped == (missing,) and data.num_train == 4
    assert len(_collect(data.train)[1]) == 4


def test_file_that_is_not_an_image_is_named(tree):
    root, _ = tree
    fake = root / "cat" / "fake.jpg"
    fake.write_text("<html>not found</html>")
    empty = root / "dog" / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"2 image file\(s\).*fake\.jpg \(not a JPEG.*empty\.png"):
        from_folder(root, (8, 8))
    with pytest.warns(UserWarning, match=r"skipped 2 image file\(s\)"):
        data = from_folder(root, (8, 8), skip_errors=True)
    assert sorted(data.skipped) == [str(fake), str(empty)]
    assert data.num_train + data.num_validation == 13


def test_undecodable_file_is_named_while_iterating(tree):
    root, _ = tree
    first = _truncated_jpeg(root / "chat noir é" / "aa truncated.jpg")
    last = _truncated_jpeg(root / "dog" / "zz truncated.jpg")
    data = from_folder(root, (8, 8), shuffle=False, validation_split=0, batch_size=4)
    assert data.num_train == 15  # the header check cannot see it
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=rf"cannot decode image file {re.escape(first)}: "
    ):
        _collect(data.train)
    shuffled = from_folder(root, (8, 8), validation_split=0, batch_size=4, seed=5)
    either = "|".join(re.escape(path) for path in (first, last))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=rf"cannot decode image file ({either})"
    ):
        _collect(shuffled.train)


@pytest.mark.parametrize("shuffle", [False, True])
def test_undecodable_files_are_skipped_with_warnings(tree, shuffle):
    root, files = tree
    first = _truncated_jpeg(root / "chat noir é" / "aa truncated.jpg")
    last = _truncated_jpeg(root / "dog" / "zz truncated.jpg")  # the last file: end of the epoch
    data = from_folder(
        root, (8, 8), shuffle=shuffle, seed=2, validation_split=0, batch_size=4, skip_errors=True
    )
    for _ in range(2):  # epochs
        with pytest.warns(UserWarning) as record:
            images, labels = _collect(data.train)
        warned = [str(w.message) for w in record if "skipped image file" in str(w.message)]
        assert sorted(warned) == [
            f"skipped image file {path}: cannot decode it ({UNDECODABLE})" for path in (first, last)
        ]
        assert len(labels) == 13
        np.testing.assert_array_equal(_colour_labels(images), labels)
        expected = sorted(b for _, b in files.values())
        np.testing.assert_allclose(np.sort(_brightness(images)), expected, atol=3)
    if not shuffle:
        good = [f for f in data.train_files if f not in (first, last)]
        np.testing.assert_allclose(_brightness(images), [files[f][1] for f in good], atol=3)


def test_image_size_is_checked(tree):
    root, _ = tree
    with pytest.raises(InputError, match=r"image_size must be \(height, width\).*image_size_for"):
        from_folder(root, 224)
    with pytest.raises(InputError, match=r"validation_split must be in \[0, 1\)"):
        from_folder(root, (8, 8), validation_split=1.0)


# Sizes from modules -------------------------------------------------------------------


class _AnySize(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    def __call__(self, images):
        return tf.reduce_mean(images, axis=[1, 2])


def test_image_size_from_a_module(tiny_image_module, tmp_path):
    assert image_size_for(str(tiny_image_module)) == (32, 32)
    assert image_size_for(Module(tiny_image_module)) == (32, 32)
    tf.saved_model.save(_AnySize(), str(tmp_path / "any"), signatures={})
    with pytest.raises(InputError, match=r"does not declare an image size.*pass image_size="):
        image_size_for(str(tmp_path / "any"))


def test_pipeline_trains_a_model_at_the_module_size(tree, tiny_image_module):
    import hubmodels

    root, _ = tree
    data = from_folder(root, image_size_for(str(tiny_image_module)), batch_size=4, seed=0)
    model = hubmodels.feature_vector_classifier(
        str(tiny_image_module), data.num_classes, class_names=data.class_names
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(data.train, validation_data=data.validation, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and np.isfinite(history.history["val_loss"][0])
