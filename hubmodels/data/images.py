"""Image classification data as tf.data pipelines: from a folder tree or from a CSV file.

    size = image_size_for("hubmodels://efficientnet_lite0/feature_vector")   # (224, 224)
    data = from_folder("photos/", size, batch_size=32, validation_split=0.2, seed=0)
    model.fit(data.train, validation_data=data.validation, epochs=5)

Both yield batches (images float32 [batch, height, width, 3] in [0, 1], labels), labels
int32 [batch] (one class per image) or float32 multi-hot [batch, num_classes]
(multi-label). Files are decoded in parallel (JPEG, PNG, GIF, BMP) by
data.decode_image_bytes, the decode the `image_bytes` serving signature uses, resized
bilinearly to `image_size`, optionally cached after decoding, shuffled with `seed` (anew
every epoch), batched and prefetched. JPEGs at least twice the target size in both
dimensions are decoded at reduced scale (fast_jpeg, see data.decode).

Bad files: every file's first bytes are checked up front; a missing, empty or non-image
file raises InputError naming it. A file that passes but cannot be decoded (e.g.
truncated) stops the iteration with tf.errors.InvalidArgumentError naming it. With
skip_errors=True both kinds are left out and named in warnings (those found up front
are counted in `ImageData.skipped`; the others only while iterating, which shortens
that epoch, and the rest of such a file's batch comes with the next batch). Naming them
costs little: the decode and the batching stay one fused tf.data step, and only a batch
with a bad file is decoded again, one file at a time.
"""

import csv
import dataclasses
import warnings
from pathlib import Path

import numpy as np

from hubmodels._keras import tf
from hubmodels.data.decode import EXTENSIONS, decode_batches, file_problem
from hubmodels.data.splits import sorted_labels, split_indices
from hubmodels.errors import InputError

_SHOWN = 10  # bad files named in one message


@dataclasses.dataclass(frozen=True)
class ImageData:
    """Training and validation datasets with what is needed to build and read a model.

    train, validation: tf.data.Dataset of (images, labels) batches; validation is None
      when validation_split is 0.
    class_names: the class of each label index.
    multi_label: labels are multi-hot float32 [batch, num_classes], else int32 [batch].
    train_files, validation_files: the files of each part (the order of an unshuffled
      pipeline).
    skipped: files left out up front with skip_errors=True.
    fast_jpeg: the JPEG decode choice the images were made with; serve with the same
      (decode_image_bytes(contents, image_size, fast_jpeg)).
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    class_names: list
    multi_label: bool
    train_files: tuple
    validation_files: tuple
    skipped: tuple = ()
    fast_jpeg: bool = True

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_train(self) -> int:
        return len(self.train_files)

    @property
    def num_validation(self) -> int:
        return len(self.validation_files)


def image_size_for(module, signature=None) -> tuple:
    """(height, width) that a module's image input declares, e.g. (?, 224, 224, 3) -> (224, 224).

    module: a hubmodels Module or a handle. Raises InputError when the module accepts
    any size: then choose image_size yourself.
    """
    from hubmodels.hub.image_input import image_size_of
    from hubmodels.hub.module import Module

    if not isinstance(module, Module):
        module = Module(module)
    size = image_size_of(module, signature)
    if size is None:
        infos = module.get_input_info_dict(signature)
        raise InputError(
            f"module {module.handle} does not declare an image size (its inputs: {infos}): "
            "pass image_size=(height, width) yourself"
        )
    return size


def from_folder(
    path,
    image_size,
    batch_size=32,
    validation_split=0.2,
    seed=0,
    shuffle=True,
    cache=False,
    skip_errors=False,
    fast_jpeg=True,
) -> ImageData:
    """Images in a folder tree with one subfolder per class (subfolders inside it included).

    path/cat/1.jpg, path/dog/a/2.png, ... -> class_names ["cat", "dog"], labels int32.
    Only files ending in .jpg, .jpeg, .png, .gif or .bmp (any case) are read; other
    files, files directly in `path`, and names starting with "." are ignored.

    image_size: (height, width) to resize to (see image_size_for).
    validation_split: fraction held out for validation, chosen at random with `seed`.
    seed: int for the split and the shuffling; None draws a new one every call.
    shuffle: reshuffle the training files every epoch (the same orders for the same seed).
    cache: keep the decoded images in memory after the first epoch.
    skip_errors: leave out files that are missing or cannot be decoded, with a warning.
    fast_jpeg: decode JPEGs at 1/2, 1/4 or 1/8 scale when that stays at least image_size
      (see data.decode_image_bytes); False decodes every pixel first.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"image folder {root} does not exist or is not a folder")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise InputError(f"image folder {root} has no class subfolders (expected {root}/CLASS/*)")
    files, labels = [], []
    for index, class_dir in enumerate(class_dirs):
        images = sorted(
            str(p)
            for p in class_dir.rglob("*")
            if p.suffix.lower() in EXTENSIONS
            and not any(part.startswith(".") for part in p.relative_to(class_dir).parts)
            and p.is_file()
        )
        if not images:
            raise InputError(
                f"class folder {class_dir} has no images (files ending in {', '.join(EXTENSIONS)})"
            )
        files += images
        labels += [index] * len(images)
    class_names = [p.name for p in class_dirs]
    return _image_data(
        files,
        np.asarray(labels, np.int32),
        class_names,
        False,
        source=f"image folder {root}",
        image_size=image_size,
        batch_size=batch_size,
        validation_split=validation_split,
        seed=seed,
        shuffle=shuffle,
        cache=cache,
        skip_errors=skip_errors,
        fast_jpeg=fast_jpeg,
    )


def from_csv(
    path,
    image_size,
    path_column="path",
    label_column="label",
    label_separator=None,
    root=None,
    batch_size=32,
    validation_split=0.2,
    seed=0,
    shuffle=True,
    cache=False,
    skip_errors=False,
    fast_jpeg=True,
) -> ImageData:
    """Images listed in a CSV file with a header row: a path column and a label column.

    label_separator: None for one label per image (int32 labels); a separator such as
      " " or "|" for several labels per image (multi-hot float32 labels; an empty cell
      means no label).
    root: folder against which relative paths are resolved (default: the CSV's folder).
    class_names are the distinct labels sorted (numerically when all are integers).
    Other arguments as in from_folder.
    """
    path = Path(path)
    rows = read_rows(path, path_column, label_column)
    root = Path(root) if root is not None else path.parent
    files, label_lists = [], []
    for line, file, label in rows:
        if not file:
            raise InputError(f"CSV file {path}, line {line}: empty {path_column!r} cell")
        if label_separator is None:
            names = [label] if label else []
            if not names:
                raise InputError(f"CSV file {path}, line {line}: empty {label_column!r} cell")
        else:
            names = [n.strip() for n in label.split(label_separator) if n.strip()]
        files.append(str(root / file))
        label_lists.append(names)
    class_names = sorted_labels({n for names in label_lists for n in names})
    if not class_names:
        raise InputError(f"CSV file {path} has no labels in column {label_column!r}")
    index = {name: i for i, name in enumerate(class_names)}
    if label_separator is None:
        labels = np.asarray([index[names[0]] for names in label_lists], np.int32)
    else:
        labels = np.zeros((len(files), len(class_names)), np.float32)
        for row, names in enumerate(label_lists):
            labels[row, [index[n] for n in names]] = 1.0
    return _image_data(
        files,
        labels,
        class_names,
        label_separator is not None,
        source=f"CSV file {path}",
        image_size=image_size,
        batch_size=batch_size,
        validation_split=validation_split,
        seed=seed,
        shuffle=shuffle,
        cache=cache,
        skip_errors=skip_errors,
        fast_jpeg=fast_jpeg,
    )


def read_rows(path: Path, path_column, label_column) -> list:
    """(line number, path cell, label cell) of each row, cells stripped."""
    try:
        file = open(path, newline="", encoding="utf-8-sig")
    except OSError as err:
        raise InputError(f"cannot read CSV file {path}: {err.strerror or err}") from None
    with file:
        reader = csv.DictReader(file)
        columns = reader.fieldnames or []
        missing = [c for c in (path_column, label_column) if c not in columns]
        if missing:
            raise InputError(
                f"CSV file {path} has no column {' or '.join(map(repr, missing))}; its columns: "
                f"{columns} (choose them with path_column= and label_column=)"
            )
        rows = [
            (reader.line_num, (row[path_column] or "").strip(), (row[label_column] or "").strip())
            for row in reader
        ]
    if not rows:
        raise InputError(f"CSV file {path} lists no images")
    return rows


def _image_data(
    files,
    labels,
    class_names,
    multi_label,
    source,
    *,
    image_size,
    batch_size,
    validation_split,
    seed,
    shuffle,
    cache,
    skip_errors,
    fast_jpeg,
) -> ImageData:
    """Checks the files, splits them and builds both pipelines; `source` names them in errors."""
    image_size = _checked_size(image_size)
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    if not 0 <= validation_split < 1:
        raise InputError(f"validation_split must be in [0, 1), got {validation_split}")
    keep, skipped = _check_files(files, source, skip_errors)
    files = [files[i] for i in keep]
    labels = labels[keep]
    if not files:
        raise InputError(f"{source}: no readable images left after skipping {len(skipped)}")
    train, validation = split_indices(len(files), validation_split, seed)
    if not len(train):
        raise InputError(
            f"{source}: {len(files)} images are too few for validation_split={validation_split}"
        )

    def dataset(indices, training):
        return _pipeline(
            [files[i] for i in indices],
            labels[indices],
            image_size,
            batch_size,
            shuffle=training and shuffle,
            seed=seed,
            cache=cache,
            skip_errors=skip_errors,
            fast_jpeg=fast_jpeg,
        )

    return ImageData(
        train=dataset(train, training=True),
        validation=dataset(validation, training=False) if len(validation) else None,
        class_names=list(class_names),
        multi_label=multi_label,
        train_files=tuple(files[i] for i in train),
        validation_files=tuple(files[i] for i in validation),
        skipped=tuple(skipped),
        fast_jpeg=fast_jpeg,
    )


def _checked_size(image_size) -> tuple:
    try:
        height, width = (int(v) for v in image_size)
    except (TypeError, ValueError):
        raise InputError(
            f"image_size must be (height, width), got {image_size!r} "
            "(image_size_for(module) reads it from a module)"
        ) from None
    if height <= 0 or width <= 0:
        raise InputError(f"image_size must be positive, got {image_size!r}")
    return height, width


def _check_files(files, source, skip_errors) -> tuple:
    """Indices of the files that look like images, and the names of the others.

    Raises InputError naming the bad files unless skip_errors.
    """
    keep, bad = [], []
    for i, file in enumerate(files):
        problem = file_problem(file)
        if problem is None:
            keep.append(i)
        else:
            bad.append((file, problem))
    if bad:
        listed = "; ".join(f"{file} ({problem})" for file, problem in bad[:_SHOWN])
        more = f"; and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
        if not skip_errors:
            raise InputError(
                f"{source}: {len(bad)} image file(s) cannot be read: {listed}{more} "
                "(pass skip_errors=True to leave them out)"
            )
        warnings.warn(f"{source}: skipped {len(bad)} image file(s): {listed}{more}", stacklevel=4)
    return keep, [file for file, _ in bad]


def _pipeline(files, labels, image_size, batch_size, shuffle, seed, cache, skip_errors, fast_jpeg):
    decode = dict(skip_errors=skip_errors, fast_jpeg=fast_jpeg)
    if not cache:
        order_seed = seed if shuffle else None
        dataset = decode_batches(files, labels, image_size, batch_size, order_seed, **decode)
    else:  # decode once in file order, then shuffle the cached images
        dataset = decode_batches(files, labels, image_size, batch_size, None, **decode)
        dataset = dataset.unbatch().cache()
        if shuffle:
            dataset = dataset.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)
