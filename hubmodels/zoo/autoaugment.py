"""AutoAugment's SVHN policy (Cubuk et al., 2019) as TensorFlow ops on float images.

Every operation maps image: float32 [height, width, 3] in [0, 1] to the same shape in [0, 1].
Operations that work on 8-bit levels in the paper's PIL code (Equalize) quantize to
round(255 * x) first. Geometric operations resample bilinearly and fill the pixels that come
from outside the image with grey (FILL_VALUE).

A policy is 25 sub-policies; each is two (operation, probability, level) steps applied in order,
each step with its probability. One sub-policy is chosen uniformly per image.

Levels are the paper's integers 0..9 (its magnitude range cut into 10 uniform steps), mapped
onto the paper's ranges as `level / 9 * maximum`:
  ShearX/Y: shear factor in [-0.3, 0.3] (random sign), around the top-left corner;
  TranslateX/Y: [-150/331, 150/331] of the image width/height (the paper's 150 pixels of 331),
    random sign;
  Rotate: [-30, 30] degrees (random sign), around the centre;
  Solarize: pixels >= threshold are inverted, threshold = 1 - level / 9 (level 0: none);
  Contrast: blend with the mean grey level, factor 0.1 + 1.8 * level / 9 (paper: [0.1, 1.9]);
  Invert, Equalize, AutoContrast: no magnitude.
(The paper's TensorFlow code divides levels by 10 instead of 9; torchvision's AutoAugment
divides by 9, as here.)
"""

import math

from hubmodels._keras import tf

FILL_VALUE = 0.5
MAX_LEVEL = 9
MAX_SHEAR = 0.3
MAX_TRANSLATE = 150.0 / 331.0
MAX_ROTATE_DEGREES = 30.0

# The SVHN policy of AutoAugment (Cubuk et al., 2019, appendix), level None for operations
# without magnitude.
SVHN_POLICY = (
    (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
    (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
    (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
    (("Invert", 0.9, None), ("Equalize", 0.6, None)),
    (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
    (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
    (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
    (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
    (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
    (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
    (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
    (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
    (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
    (("Invert", 0.9, None), ("Equalize", 0.6, None)),
    (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
    (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
    (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
    (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
    (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
    (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
    (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
    (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
    (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
    (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
    (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
)


def invert(image):
    """1 - image."""
    return 1.0 - image


def solarize(image, threshold):
    """Inverts the values >= threshold (a scalar in [0, 1]); keeps the others."""
    return tf.where(image < threshold, image, 1.0 - image)


def autocontrast(image):
    """Stretches each channel linearly so its minimum becomes 0 and its maximum 1.

    Constant channels are left unchanged (as PIL's ImageOps.autocontrast with cutoff 0).
    """
    low = tf.reduce_min(image, axis=[0, 1], keepdims=True)
    high = tf.reduce_max(image, axis=[0, 1], keepdims=True)
    span = high - low
    stretched = (image - low) / tf.where(span > 0, span, 1.0)
    return tf.where(span > 0, stretched, image)


def equalize(image):
    """Histogram equalization of each channel on 8-bit levels, as PIL's ImageOps.equalize.

    Per channel: step = (pixel count - count of the highest level present) // 256; level i maps
    to (step // 2 + number of pixels below i) // step, at most 255; unchanged if step is 0.
    """
    levels = tf.cast(tf.round(tf.clip_by_value(image, 0.0, 1.0) * 255.0), tf.int32)
    channels_first = tf.transpose(levels, [2, 0, 1])
    per_channel = tf.reshape(channels_first, [3, -1])
    histogram = tf.math.bincount(per_channel, minlength=256, maxlength=256, axis=-1)
    highest = tf.reduce_max(tf.where(histogram > 0, tf.range(256), -1), axis=1)
    top_count = tf.gather(histogram, highest, batch_dims=1)
    step = (tf.shape(per_channel)[1] - top_count) // 256
    below = tf.cumsum(histogram, axis=1, exclusive=True)
    safe_step = tf.maximum(step, 1)[:, None]
    table = tf.minimum((safe_step // 2 + below) // safe_step, 255)
    table = tf.where(step[:, None] > 0, table, tf.range(256)[None, :])
    equalized = tf.reshape(tf.gather(table, per_channel, batch_dims=1), tf.shape(channels_first))
    return tf.cast(tf.transpose(equalized, [1, 2, 0]), tf.float32) / 255.0


def contrast(image, factor):
    """Blends with the image's mean grey level: mean + factor * (image - mean), clipped."""
    mean = tf.reduce_mean(tf.image.rgb_to_grayscale(image))
    return tf.clip_by_value(mean + factor * (image - mean), 0.0, 1.0)


def _transform(image, matrix):
    """Resamples image at input (x, y) = (a0 x + a1 y + a2, b0 x + b1 y + b2) of output (x, y)."""
    transforms = tf.reshape(tf.concat([tf.cast(matrix, tf.float32), tf.zeros([2])], 0), [1, 8])
    moved = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[None],
        transforms=transforms,
        output_shape=tf.shape(image)[:2],
        fill_value=FILL_VALUE,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return tf.clip_by_value(moved[0], 0.0, 1.0)


def shear_x(image, factor):
    """Output pixel (x, y) takes input pixel (x + factor * y, y)."""
    return _transform(image, tf.stack([1.0, factor, 0.0, 0.0, 1.0, 0.0]))


def shear_y(image, factor):
    """Output pixel (x, y) takes input pixel (x, y + factor * x)."""
    return _transform(image, tf.stack([1.0, 0.0, 0.0, factor, 1.0, 0.0]))


def translate_x(image, pixels):
    """Output pixel (x, y) takes input pixel (x + pixels, y): content moves left for pixels > 0."""
    return _transform(image, tf.stack([1.0, 0.0, pixels, 0.0, 1.0, 0.0]))


def translate_y(image, pixels):
    """Output pixel (x, y) takes input pixel (x, y + pixels): content moves up for pixels > 0."""
    return _transform(image, tf.stack([1.0, 0.0, 0.0, 0.0, 1.0, pixels]))


def rotate(image, degrees):
    """Rotates the content counter-clockwise by `degrees` around the image centre."""
    radians = degrees * math.pi / 180.0
    cos, sin = tf.cos(radians), tf.sin(radians)
    shape = tf.cast(tf.shape(image), tf.float32)
    center_x, center_y = (shape[1] - 1.0) / 2.0, (shape[0] - 1.0) / 2.0
    matrix = tf.stack(
        [
            cos,
            -sin,
            center_x - cos * center_x + sin * center_y,
            sin,
            cos,
            center_y - sin * center_x - cos * center_y,
        ]
    )
    return _transform(image, matrix)


def _fraction(level):
    return tf.cast(level, tf.float32) / MAX_LEVEL


# Each operation as f(image, level, sign) with level a float scalar 0..9 and sign +1 or -1.
OPERATIONS = {
    "Identity": lambda image, level, sign: image,
    "Invert": lambda image, level, sign: invert(image),
    "Equalize": lambda image, level, sign: equalize(image),
    "AutoContrast": lambda image, level, sign: autocontrast(image),
    "Solarize": lambda image, level, sign: solarize(image, 1.0 - _fraction(level)),
    "Contrast": lambda image, level, sign: contrast(image, 0.1 + 1.8 * _fraction(level)),
    "ShearX": lambda image, level, sign: shear_x(image, sign * MAX_SHEAR * _fraction(level)),
    "ShearY": lambda image, level, sign: shear_y(image, sign * MAX_SHEAR * _fraction(level)),
    "TranslateX": lambda image, level, sign: translate_x(
        image, sign * MAX_TRANSLATE * _fraction(level) * tf.cast(tf.shape(image)[1], tf.float32)
    ),
    "TranslateY": lambda image, level, sign: translate_y(
        image, sign * MAX_TRANSLATE * _fraction(level) * tf.cast(tf.shape(image)[0], tf.float32)
    ),
    "Rotate": lambda image, level, sign: rotate(
        image, sign * MAX_ROTATE_DEGREES * _fraction(level)
    ),
}


def apply_policy(image, policy, seed):
    """Applies one sub-policy of `policy`, chosen uniformly, to one image.

    image: float32 [height, width, 3] in [0, 1]; policy: a table like SVHN_POLICY;
    seed: int32/int64 [2], the stateless seed that fixes every random choice
    -> float32 [height, width, 3] in [0, 1].
    """
    names = list(OPERATIONS)
    op_ids = tf.constant([[names.index(name) for name, _, _ in sub] for sub in policy])
    probabilities = tf.constant([[p for _, p, _ in sub] for sub in policy], tf.float32)
    levels = tf.constant([[level or 0 for _, _, level in sub] for sub in policy], tf.float32)
    choice_seed, coin_seed, sign_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    choice = tf.random.stateless_uniform([], choice_seed, maxval=len(policy), dtype=tf.int32)
    coins = tf.random.stateless_uniform([2], coin_seed)
    signs = tf.where(tf.random.stateless_uniform([2], sign_seed) < 0.5, -1.0, 1.0)
    for step in range(2):
        applied = coins[step] < probabilities[choice, step]
        op_id = tf.where(applied, op_ids[choice, step], names.index("Identity"))
        level, sign = levels[choice, step], signs[step]
        branches = [
            lambda op=op, image=image, level=level, sign=sign: op(image, level, sign)
            for op in OPERATIONS.values()
        ]
        image = tf.ensure_shape(tf.switch_case(op_id, branches), image.shape)
    return image
