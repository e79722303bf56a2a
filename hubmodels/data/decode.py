"""The one image decode of training and serving, and tf.data batches that name bad files.

`decode_image_bytes` turns encoded bytes into the float image a model sees; the input
pipelines (data.images) and the `image_bytes` serving signature both call it, so a served
prediction equals the one made on the same file while training (the same pixels, graph
or eager).

fast_jpeg (the default): a JPEG at least twice the target size in both dimensions is
decoded by libjpeg at 1/2, 1/4 or 1/8 scale (as PIL's draft mode does), averaging in the
DCT instead of decoding every pixel and then sampling a few of them. Measured with
scripts/bench_input_pipeline.py --accuracy on scikit-image's sample photos saved as JPEG
(quality 90), at 224x224, in levels of 255 (mean absolute difference):
  - against full decode + bilinear resize: 1.3 to 3.7 (retina 1411x1411 at 1/4;
    astronaut, immunohistochemistry 512x512 and hubble_deep_field 872x1000 at 1/2), the
    size of what choosing an antialiased resize changes (1.5 to 4.4), and closer to that
    antialiased resize (0.7 to 2.5) than full decode + bilinear is;
  - EfficientNet-Lite0 on those photos and on 1024x768 versions of all seven samples
    (11 images): same top-1 for 9, 4.2 of the top 5 shared on average; the largest
    probability change from the antialiased reference is 0.063 on average (0.100 for full
    decode + bilinear), and where top-1 differs (astronaut, immunohistochemistry: no
    ImageNet class, top-1 probability about 0.2) it is the reference's.
  - speed: a 1024x768 JPEG to 224x224 (1/2 scale) takes 2.9 ms of CPU instead of 3.5;
    the entropy decoding, which scaling does not shorten, is most of what remains.
It is the default because it is faster and its change is that of a resize filter, towards
a proper downscale, seen alike in training and serving; choose fast_jpeg=False to get
exactly PIL's full decode + bilinear resize, and serve with the same choice.

TensorFlow's decoders fail without saying which file they were given; `decode_batches`
finds the files that failed, so the error (or the warning, when such files are skipped)
names them.
"""

import warnings

from hubmodels._keras import tf

# First bytes by which tf.io.decode_image recognises JPEG, PNG, GIF and BMP.
MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")
EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")
UNDECODABLE = "corrupt, truncated, or a variant that TensorFlow does not read (such as a 1-bit BMP)"
JPEG_RATIOS = (1, 2, 4, 8)  # the scales libjpeg decodes at, as tf.io.decode_jpeg's `ratio`
# The kinds of decode: any format by tf.io.decode_image, or a JPEG at one of JPEG_RATIOS.
ANY = "any"
JPEG_KINDS = tuple(f"jpeg/{ratio}" for ratio in JPEG_RATIOS)
JPEG = JPEG_KINDS[0]
AUTO = "auto"  # not known before decoding: decode_image_bytes chooses
# Start-of-frame markers (0xC0-0xCF but DHT, JPG and DAC), which hold the image's size.
FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


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


def ratio_index(height, width, image_size):
    """Which of JPEG_RATIOS a height x width JPEG is decoded at for image_size (fast_jpeg).

    The largest ratio that keeps the image at least image_size in both dimensions.
    height, width: Python ints (gives an int) or int tensors (gives an int32 tensor).
    """
    if isinstance(height, int):
        fits = min(height // image_size[0], width // image_size[1])  # times the target fits
        return sum(fits >= ratio for ratio in JPEG_RATIOS[1:])
    fits = tf.minimum(height // image_size[0], width // image_size[1])
    return tf.reduce_sum(tf.cast(fits >= JPEG_RATIOS[1:], tf.int32))


def jpeg_dimensions(path: str):
    """(height, width) from the frame header of the JPEG file at `path`; None if not found.

    Reads only the segment headers before the frame header (a few bytes each).
    """
    with open(path, "rb") as file:
        return _frame_size(file)


def _frame_size(file):
    """jpeg_dimensions of an open binary file, read from its start."""
    if file.read(2) != b"\xff\xd8":
        return None
    while True:
        byte = file.read(1)
        while byte == b"\xff":  # fill bytes before a marker
            byte = file.read(1)
        marker = byte[0] if byte else 0xD9
        if marker in FRAME_MARKERS:
            header = file.read(7)  # length (2), precision (1), height (2), width (2)
            if len(header) < 7:
                return None
            height, width = (int.from_bytes(header[i : i + 2], "big") for i in (3, 5))
            return (height, width) if height and width else None
        if marker in (0xD9, 0xDA):  # end of image, or scan data with no frame before
            return None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a segment
            continue
        length = int.from_bytes(file.read(2), "big")
        if length < 2:
            return None
        file.seek(length - 2, 1)


def decode_kind(path: str, image_size, fast_jpeg=True) -> str:
    """How decode_image_bytes will decode the file at `path` (read from its first bytes).

    ANY for a PNG, GIF or BMP; a JPEG kind when the header tells its scale; AUTO (let
    decode_image_bytes choose while decoding) otherwise. A pipeline that knows each file's
    kind decodes it without choosing in the graph, with the same result.
    """
    try:
        with open(path, "rb") as file:  # opened once: the magic, then the frame header
            if file.read(3) != MAGIC[0]:
                return ANY
            if not fast_jpeg:
                return JPEG
            file.seek(0)
            dimensions = _frame_size(file)
    except OSError:
        return AUTO
    return AUTO if dimensions is None else JPEG_KINDS[ratio_index(*dimensions, image_size)]


def decode_image_bytes(contents, image_size, fast_jpeg=True) -> tf.Tensor:
    """contents: string scalar (JPEG, PNG, GIF, BMP) -> float32 [height, width, 3] in [0, 1].

    image_size: (height, width); the image is resized to it bilinearly (aspect not kept).
    Grey and palette images get three channels, alpha is dropped, a GIF gives its first
    frame. JPEGs are decoded with the accurate integer DCT, as PIL does.
    fast_jpeg: decode a JPEG at the smallest of 1/2, 1/4, 1/8 scale that is still at least
      image_size in both dimensions (e.g. 1024x768 -> 512x384 for 224x224), then resize;
      False always decodes every pixel first (the same pixels as PIL). Training and serving
      must use the same choice.
    """

    def jpeg():
        if not fast_jpeg:
            return decoder(JPEG)(contents, image_size)
        shape = tf.io.extract_jpeg_shape(contents)  # from the header only
        return tf.switch_case(
            ratio_index(shape[0], shape[1], image_size),
            [lambda kind=kind: decoder(kind)(contents, image_size) for kind in JPEG_KINDS],
        )

    return tf.cond(tf.io.is_jpeg(contents), jpeg, lambda: decoder(ANY)(contents, image_size))


def decoder(kind: str):
    """The decode of one kind of file (ANY, AUTO or one of JPEG_KINDS; see decode_kind).

    The result: (contents string scalar, image_size) -> float32 [height, width, 3] in [0, 1].
    """
    if kind == AUTO:
        return decode_image_bytes
    ratio = JPEG_RATIOS[JPEG_KINDS.index(kind)] if kind != ANY else None

    def decode(contents, image_size):
        if ratio:
            image = tf.io.decode_jpeg(
                contents, channels=3, dct_method="INTEGER_ACCURATE", ratio=ratio
            )
        else:
            image = tf.io.decode_image(contents, channels=3, expand_animations=False)
        # resizing floats gives the pixels of resizing the uint8 image, 20% sooner; and a
        # multiplication: grappler turns a division by a constant into one in some graphs only
        image = tf.cast(image, tf.float32)
        return tf.image.resize(image, image_size, method="bilinear") * (1 / 255)

    return decode


def decode_batches(
    files, labels, image_size, batch_size, seed=None, skip_errors=False, fast_jpeg=True
) -> tf.data.Dataset:
    """Batches (images float32 [batch, height, width, 3] in [0, 1], labels [batch, ...]).

    files: paths (list of str); labels: array with one row per file.
    seed: None keeps the files' order; an int gives every iteration (epoch) a new order,
      the same sequence of orders for the same seed.
    fast_jpeg: as in decode_image_bytes.
    A file that cannot be decoded stops the iteration with tf.errors.InvalidArgumentError
    naming it; with skip_errors=True it is left out and named in a warning instead, and
    the other images of its batch come at the front of the next batch (then larger).

    How: an epoch is the stream of positions 0..count-1, each mapped to a file by a
    permutation seeded with (seed, a random number drawn once per epoch), decoded in
    parallel and batched in one step (tf.data fuses the two), then an end marker at
    position `count`. `ignore_errors` drops a batch that holds a bad file, so positions go
    missing: one `scan` step per batch sees that, and only then are those files decoded
    again one by one (in Python), which tells the bad from the good. tf.data sets up
    every function (and branch of a tf.cond) anew each epoch, a millisecond or more each,
    so there are few: each file's kind of decode (decode_kind: its format and JPEG scale,
    from its first bytes) is read here once, and the graph chooses only among the kinds
    present (not at all when the files are alike, as they usually are).
    """
    count = len(files)
    paths = tf.constant(files, tf.string)
    labels = tf.constant(labels)
    kinds = [decode_kind(file, image_size, fast_jpeg) for file in files]
    present = sorted(set(kinds))
    kind_numbers = tf.constant([present.index(kind) for kind in kinds], tf.int32)

    def decode(contents, kind_number):
        if len(present) == 1:
            return decoder(present[0])(contents, image_size)
        branches = [lambda kind=kind: decoder(kind)(contents, image_size) for kind in present]
        return tf.switch_case(kind_number, branches)

    def file_index(position, epoch_seed):
        if seed is None:
            return position
        key = tf.stack([tf.constant(seed, tf.int64), epoch_seed])
        return tf.random.experimental.index_shuffle(position, key, count - 1)

    def epoch(epoch_seed):
        """The epoch's elements (path, kind number, label, position, epoch seed), each a
        tensor [count, ...]."""
        positions = tf.range(count, dtype=tf.int64)
        indices = file_index(positions, epoch_seed)
        return (
            tf.gather(paths, indices),
            tf.gather(kind_numbers, indices),
            tf.gather(labels, indices),
            positions,
            tf.fill([count], epoch_seed),
        )

    def load(path, kind_number, label, position, epoch_seed):
        image = decode(tf.io.read_file(path), kind_number)
        return image, label, position, epoch_seed

    def decode_missing(expected, epoch_seed, positions):
        """Decodes again, one by one, the files at the positions from `expected` to
        positions[-1] that `positions` lacks: (the good ones' images float32 [k, ...] and
        file indices int64 [k], the error to raise or "")."""
        positions = positions.numpy()
        missing = sorted(set(range(expected.numpy(), positions[-1] + 1)) - set(positions))
        none = tf.zeros((0, *image_size, 3))
        images, good = [], []
        for index in file_index(tf.constant(missing, tf.int64), epoch_seed).numpy():
            path = files[index]
            try:
                images.append(decode_image_bytes(tf.io.read_file(path), image_size, fast_jpeg))
            except tf.errors.OpError:
                if not skip_errors:
                    return none, [], f"cannot decode image file {path}: {UNDECODABLE}"
                message = f"skipped image file {path}: cannot decode it ({UNDECODABLE})"
                warnings.warn(message, stacklevel=1)  # inside tf.data: no caller to point at
            else:
                good.append(index)
        return tf.stack(images) if images else none, good, ""

    def check(state, batch):
        expected, epoch_seed = state
        images, batch_labels, positions, epoch_seeds = batch
        # the marker does not know the epoch's seed: a batch of it alone keeps the last one
        epoch_seed = tf.where(positions[0] < count, epoch_seeds[0], epoch_seed)

        def with_missing():
            again, good, error = tf.py_function(
                decode_missing, [expected, epoch_seed, positions], (tf.float32, tf.int64, tf.string)
            )
            with tf.control_dependencies([tf.debugging.Assert(tf.equal(error, ""), [error])]):
                return (
                    tf.concat([tf.ensure_shape(again, (None, *image_size, 3)), images], 0),
                    tf.concat([tf.gather(labels, good), batch_labels], 0),
                )

        complete = positions[-1] + 1 - expected == tf.size(positions, tf.int64)
        kept = tf.cond(complete, lambda: (images, batch_labels), with_missing)
        return (positions[-1] + 1, epoch_seed), kept

    if seed is None:  # the same elements every epoch: made once, no function to set up
        elements = tf.data.Dataset.from_tensor_slices(epoch(tf.constant(0, tf.int64)))
    else:
        epoch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        elements = epoch_seeds.take(1).map(epoch).unbatch()
    end = (
        tf.zeros((0, *image_size, 3)),
        tf.zeros_like(labels[:0]),
        tf.constant([count], tf.int64),
        tf.constant([0], tf.int64),
    )
    batches = (
        elements.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size)
        .ignore_errors()
        .concatenate(tf.data.Dataset.from_tensors(end))
        .scan((tf.constant(0, tf.int64), tf.constant(0, tf.int64)), check)
    )
    return batches.filter(lambda images, batch_labels: tf.shape(batch_labels)[0] > 0)
