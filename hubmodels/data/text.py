"""Text classification data as tf.data pipelines: from a CSV file or a folder of text files.

    data = text_from_csv("tweets.csv", "text", "sentiment", validation_split=0.2, seed=0)
    model = hubmodels.text_classifier(handle, data.num_classes, class_names=data.class_names)
    hubmodels.fit(model, data.train, data.validation, epochs=5)

Both yield batches (texts string [batch], labels): labels int32 [batch] (one class per
text) or float32 multi-hot [batch, num_classes] (label_separator given). The split is
random with `seed`, as is the shuffling (anew every epoch). Texts are kept as read (""
is a valid text); the module truncates long ones.

Bad rows (a CSV row with a missing or extra cell, an empty label, a label outside
`class_names`; a file that is not valid text in `encoding`) raise InputError naming their
line or file, or with skip_errors=True are left out, counted in `TextData.skipped` and
named in a warning.
"""

import csv
import dataclasses
import warnings
from pathlib import Path

import numpy as np

from hubmodels._keras import tf
from hubmodels.data.splits import sorted_labels, split_indices
from hubmodels.errors import InputError

_SHOWN = 10  # bad rows named in one message


@dataclasses.dataclass(frozen=True)
class TextData:
    """Training and validation datasets, and what is needed to build and read a model.

    train, validation: tf.data.Dataset of (texts, labels) batches; validation is None when
      validation_split is 0.
    train_texts, validation_texts: the texts of each part, in unshuffled order; train_labels,
      validation_labels: their labels (int32 [n] or float32 [n, num_classes]).
    skipped: the bad rows or files left out with skip_errors=True, each named with its reason.
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    class_names: list
    multi_label: bool
    train_texts: tuple
    validation_texts: tuple
    train_labels: np.ndarray
    validation_labels: np.ndarray
    skipped: tuple = ()

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_train(self) -> int:
        return len(self.train_texts)

    @property
    def num_validation(self) -> int:
        return len(self.validation_texts)


def text_from_csv(
    path,
    text_column="text",
    label_column="label",
    label_separator=None,
    class_names=None,
    encoding="utf-8-sig",
    batch_size=32,
    validation_split=0.2,
    seed=0,
    shuffle=True,
    skip_errors=False,
) -> TextData:
    """Texts and labels from a CSV file with a header row.

    label_separator: None for one label per text; " ", "|"... for several (an empty cell
      then means no label).
    class_names: the classes, in label-index order (default: the labels found, sorted;
      numerically when all are integers); a label outside them is a bad row.
    encoding: of the file, e.g. "latin-1".
    Other arguments: see text_from_folder.
    """
    path = Path(path)
    texts, label_lists, bad = [], [], []
    for line, text, label, problem in _read_csv(path, text_column, label_column, encoding):
        if problem:
            bad.append((f"line {line}", problem))
            continue
        if label_separator is None:
            names = [label.strip()] if label.strip() else []
            if not names:
                bad.append((f"line {line}", f"empty {label_column!r} cell"))
                continue
        else:
            names = [n.strip() for n in label.split(label_separator) if n.strip()]
        texts.append(text)
        label_lists.append((f"line {line}", names))
    return _text_data(
        texts,
        label_lists,
        class_names,
        label_separator is not None,
        f"CSV file {path}",
        bad,
        batch_size=batch_size,
        validation_split=validation_split,
        seed=seed,
        shuffle=shuffle,
        skip_errors=skip_errors,
    )


def text_from_folder(
    path,
    class_names=None,
    encoding="utf-8",
    batch_size=32,
    validation_split=0.2,
    seed=0,
    shuffle=True,
    skip_errors=False,
) -> TextData:
    """Texts in a folder with one subfolder per class and one text file per example.

    path/pos/1.txt, path/neg/a/2.txt ... -> class_names ["neg", "pos"] (sorted), labels
    int32. Every file under a class folder is read (names starting with "." are ignored).

    class_names: the subfolders to read, in label-index order (default: all, sorted).
    validation_split: fraction held out, chosen at random with `seed` (None: a new one).
    shuffle: reshuffle the training texts every epoch (the same orders for the same seed).
    skip_errors: leave out bad files (not text in `encoding`) and count them in `skipped`.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"text folder {root} does not exist or is not a folder")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    names = list(class_names) if class_names is not None else found
    missing = [n for n in names if n not in found]
    if not names or missing:
        raise InputError(
            f"text folder {root} has no class subfolder {missing or ''} (expected "
            f"{root}/CLASS/*.txt; found {found})"
        )
    texts, label_lists, bad = [], [], []
    for name in names:
        files = sorted(
            p
            for p in (root / name).rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        if not files:
            raise InputError(f"class folder {root / name} has no files")
        for file in files:
            try:
                texts.append(file.read_text(encoding=encoding).strip())
            except (OSError, UnicodeDecodeError) as err:
                bad.append((str(file), _reason(err, encoding)))
                continue
            label_lists.append((str(file), [name]))
    return _text_data(
        texts,
        label_lists,
        names,
        False,
        f"text folder {root}",
        bad,
        batch_size=batch_size,
        validation_split=validation_split,
        seed=seed,
        shuffle=shuffle,
        skip_errors=skip_errors,
    )


def text_pipeline(texts, labels, batch_size=32, shuffle=False, seed=0) -> tf.data.Dataset:
    """(texts string [batch], labels) batches of in-memory texts and labels, prefetched."""
    dataset = tf.data.Dataset.from_tensor_slices((tf.constant(list(texts), tf.string), labels))
    if shuffle:
        dataset = dataset.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _reason(err, encoding) -> str:
    if isinstance(err, UnicodeDecodeError):
        return f"not valid {encoding} text at byte {err.start}"
    return err.strerror or str(err)


def _read_csv(path: Path, text_column, label_column, encoding) -> list:
    """(line, text, label, problem) of each row; problem: why its cells are wrong, or ""."""
    try:
        file = open(path, newline="", encoding=encoding)
    except OSError as err:
        raise InputError(f"cannot read CSV file {path}: {err.strerror or err}") from None
    rows = []
    try:
        with file:
            reader = csv.DictReader(file)
            columns = reader.fieldnames or []
            missing = [c for c in (text_column, label_column) if c not in columns]
            if missing:
                raise InputError(
                    f"CSV file {path} has no column {' or '.join(map(repr, missing))}; its "
                    f"columns: {columns} (choose them with text_column= and label_column=)"
                )
            for row in reader:
                cells = sum(row[c] is not None for c in columns) + len(row.get(None) or ())
                problem = f"{cells} cells, expected {len(columns)}" if cells != len(columns) else ""
                rows.append((reader.line_num, row[text_column], row[label_column], problem))
    except UnicodeDecodeError as err:
        raise InputError(
            f"CSV file {path} is not {encoding} text (byte {err.start} of the file): give its "
            'encoding, e.g. encoding="latin-1"'
        ) from None
    except csv.Error as err:
        raise InputError(f"CSV file {path} cannot be parsed: {err}") from None
    return rows


def _text_data(texts, label_lists, class_names, multi_label, source, bad, **options):
    """Checks labels against class_names, reports bad rows, splits, and builds pipelines."""
    known = class_names is not None
    class_names = (
        [str(n) for n in class_names]
        if known
        else sorted_labels({n for _, names in label_lists for n in names})
    )
    index = {name: i for i, name in enumerate(class_names)}
    keep = []
    for i, (where, names) in enumerate(label_lists):
        outside = [n for n in names if n not in index]
        if outside:
            bad.append((str(where), f"label {outside[0]!r} is not one of {class_names}"))
        else:
            keep.append(i)
    _report(bad, source, options.pop("skip_errors"))
    texts = [texts[i] for i in keep]
    label_lists = [label_lists[i][1] for i in keep]
    if not texts or not class_names:
        raise InputError(f"{source} has no labelled texts (left out: {len(bad)})")
    if multi_label:
        labels = np.zeros((len(texts), len(class_names)), np.float32)
        for row, names in enumerate(label_lists):
            labels[row, [index[n] for n in names]] = 1.0
    else:
        labels = np.asarray([index[names[0]] for names in label_lists], np.int32)
    return split_texts(
        texts, labels, class_names, multi_label, source, skipped=tuple(bad), **options
    )


def split_texts(
    texts,
    labels,
    class_names,
    multi_label=False,
    source="texts",
    skipped=(),
    batch_size=32,
    validation_split=0.2,
    seed=0,
    shuffle=True,
) -> TextData:
    """TextData of in-memory texts [n] and labels (int32 [n] or multi-hot [n, classes]),
    split at random with `seed`."""
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    if not 0 <= validation_split < 1:
        raise InputError(f"validation_split must be in [0, 1), got {validation_split}")
    train, validation = split_indices(len(texts), validation_split, seed)
    if not len(train):
        raise InputError(
            f"{source}: {len(texts)} texts are too few for validation_split={validation_split}"
        )
    labels = np.asarray(labels)

    def part(indices, training):
        chosen = [texts[i] for i in indices]
        return chosen, text_pipeline(
            chosen, labels[indices], batch_size, training and shuffle, seed
        )

    train_texts, train_set = part(train, True)
    validation_texts, validation_set = part(validation, False)
    return TextData(
        train=train_set,
        validation=validation_set if len(validation) else None,
        class_names=list(class_names),
        multi_label=multi_label,
        train_texts=tuple(train_texts),
        validation_texts=tuple(validation_texts),
        train_labels=labels[train],
        validation_labels=labels[validation],
        skipped=tuple(skipped),
    )


def _report(bad, source, skip_errors) -> None:
    if not bad:
        return
    listed = "; ".join(f"{where}: {why}" for where, why in bad[:_SHOWN])
    more = f"; and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    if not skip_errors:
        raise InputError(
            f"{source}: {len(bad)} bad row(s) or file(s): {listed}{more} "
            "(pass skip_errors=True to leave them out)"
        )
    warnings.warn(
        f"{source}: skipped {len(bad)} bad row(s) or file(s): {listed}{more}", stacklevel=4
    )
