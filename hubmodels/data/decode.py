"""Image files for tf.data: a header check before reading, and a decode that names bad files.

TensorFlow's decoders fail without saying which file they were given; `decode_batches`
finds the files that failed, so the error (or the warning, when such files are
skipped) names them.
"""

import warnings

from hubmodels._keras import tf

# First bytes by which tf.io.decode_image recognises JPEG, PNG, GIF and BMP.
MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")
EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")
UNDECODABLE = "corrupt, truncated, or a variant that TensorFlow does not read (such as a 1-bit BMP)"


def file_problem(path: str) -> str | None:
    """Why `path` is no image TensorFlow can read, judged from its first bytes; None if it may be.

    Cheap (one small read); a file that passes can still fail to decode, e.g. when truncated.
    """
    try:
        with open(path, "rb") as file:
            head = file.read(8)
    except FileNotFoundError:
        return "missing"
    except OSError as err:
        return f"unreadable ({err.strerror or err})"
    if not head:
        return "empty"
    if not head.startswith(MAGIC):
        return f"not a JPEG, PNG, GIF or BMP file (it starts with {head!r})"
    return None


def decode_image(path, image_size) -> tf.Tensor:
    """path: string scalar -> float32 [height, width, 3] in [0, 1], resized bilinearly.

    Grey and palette images get three channels, alpha is dropped, a GIF gives its first frame.
    JPEGs are decoded with the accurate integer DCT, as PIL does (same pixels as PIL).
    """
    contents = tf.io.read_file(path)
    image = tf.cond(
        tf.io.is_jpeg(contents),
        lambda: tf.io.decode_jpeg(contents, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(contents, channels=3, expand_animations=False),
    )
    image = tf.image.resize(image, image_size, method="bilinear")
    return image / 255.0


def decode_batches(
    files, labels, image_size, batch_size, seed=None, skip_errors=False
) -> tf.data.Dataset:
    """Batches (images float32 [batch, height, width, 3] in [0, 1], labels [batch, ...]).

    files: paths (list of str); labels: array with one row per file.
    seed: None keeps the files' order; an int gives every iteration (epoch) a new order,
      the same sequence of orders for the same seed.
    A file that cannot be decoded stops the iteration with tf.errors.InvalidArgumentError
    naming it; with skip_errors=True it is left out and named in a warning instead.

    How: an epoch is the stream of positions 0..count-1, each mapped to a file by a
    permutation seeded with (seed, a random number drawn once per epoch), decoded in
    parallel but in order, then an end marker at position `count`. `ignore_errors` drops
    the files that fail, so batches miss positions: one `scan` step per batch finds them,
    recomputes their files from the permutation and reports them, and drops the marker.
    """
    count = len(files)
    files = tf.constant(files, tf.string)
    labels = tf.constant(labels)

    def file_index(position, epoch_seed):
        if seed is None:
            return position
        key = tf.stack([tf.constant(seed, tf.int64), epoch_seed])
        return tf.random.experimental.index_shuffle(position, key, count - 1)

    def load(position, epoch_seed):
        index = file_index(position, epoch_seed)
        image = decode_image(files[index], image_size)
        return image, tf.gather(labels, index), position, epoch_seed

    def check(state, batch):
        expected, epoch_seed = state
        images, batch_labels, positions, epoch_seeds = batch
        # the marker does not know the epoch's seed: a batch of it alone keeps the last one
        epoch_seed = tf.where(positions[0] < count, epoch_seeds[0], epoch_seed)
        last = positions[-1]
        missing = tf.sets.difference(
            tf.range(expected, last + 1)[tf.newaxis], positions[tf.newaxis]
        ).values

        def report():
            failed = tf.gather(files, file_index(missing, epoch_seed))
            if skip_errors:
                return tf.py_function(_warn_skipped, [failed], tf.int32)
            message = tf.strings.join(["cannot decode image file ", failed[0], ": ", UNDECODABLE])
            with tf.control_dependencies([tf.debugging.Assert(False, [message])]):
                return tf.constant(0)

        reported = tf.cond(tf.size(missing) > 0, report, lambda: tf.constant(0))
        with tf.control_dependencies([reported]):
            kept = tf.cond(
                last < count,
                lambda: (tf.identity(images), tf.identity(batch_labels)),
                lambda: (images[:-1], batch_labels[:-1]),
            )
        return (last + 1, epoch_seed), kept

    if seed is None:
        epoch_seeds = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64))
    else:
        epoch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    positions = epoch_seeds.map(
        lambda epoch_seed: (tf.range(count, dtype=tf.int64), tf.fill([count], epoch_seed))
    ).unbatch()
    end = (
        tf.zeros((*image_size, 3)),
        tf.zeros_like(labels[0]),
        tf.constant(count, tf.int64),
        tf.constant(0, tf.int64),
    )
    return (
        positions.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
        .concatenate(tf.data.Dataset.from_tensors(end))
        .batch(batch_size)
        .scan((tf.constant(0, tf.int64), tf.constant(0, tf.int64)), check)
        .filter(lambda images, batch_labels: tf.shape(batch_labels)[0] > 0)
    )


def _warn_skipped(paths):
    for path in paths.numpy():
        message = f"skipped image file {path.decode()}: cannot decode it ({UNDECODABLE})"
        warnings.warn(message, stacklevel=1)  # raised inside tf.data: no caller to point at
    return 0


def decode_image_bytes(contents, size) -> tf.Tensor:
    image = tf.cond(
        tf.io.is_jpeg(contents),
        lambda: tf.io.decode_jpeg(contents, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(contents, channels=3, expand_animations=False),
    )
    return tf.image.resize(image, size, method="bilinear") / 255.0
