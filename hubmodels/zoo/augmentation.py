"""Image augmentation modules with TF Hub's image_augmentation interface (no variables).

Each module is a TF2 SavedModel of a variable-free tf.Module with two signatures:
  default: encoded_images: string [batch] (JPEG, PNG, GIF (first frame), BMP or WebP bytes;
    grey and RGBA images become RGB), image_size: int32 [2] (height, width),
    augmentation: bool [] -> {"default": float32 [batch, height, width, 3] in [0, 1]}
  from_decoded_images: images: float32 [batch, h, w, 3] in [0, 1], image_size, augmentation
    -> {"default": float32 [batch, height, width, 3] in [0, 1]}
and one more function, outside the signatures, for reproducible augmentation under a seed:
  from_decoded_images_with_seed(images, image_size, augmentation, seed: int64 [2])
    -> float32 [batch, height, width, 3] in [0, 1]

augmentation=False only resizes: bilinear, half-pixel centres, no antialiasing, exactly
tf.image.resize(images, image_size) (decoded to float32 first) clipped to [0, 1]; it is
deterministic.

augmentation=True applies the module's random policy to each image. Randomness:
  * tf.random.set_seed has no effect on a loaded SavedModel: its random ops carry the seeds
    they were saved with. The signatures draw one seed pair per call from a random op whose
    seed is fixed when the module is built; every other random choice is a stateless function
    of that pair and the image's index in the batch. So the sequence of calls is reproducible:
    the k-th call of a signature gives the same result in every process that loads the module
    (each load, and each tf.function that calls the signature, starts the sequence anew).
    The flip side: two training runs see the same augmentation sequence.
  * from_decoded_images_with_seed is a pure function of its inputs: the same seed gives the
    same result anywhere, a different seed another. Image i of the batch uses
    stateless_fold_in(seed, i), so results do not depend on the rest of the batch.
"""

import zlib

from hubmodels._keras import tf
from hubmodels.zoo import autoaugment
from hubmodels.zoo.registry import register

CATEGORY = "image_augmentation"
# crop_color: Inception-style random crop, then colour distortion in a fixed order.
CROP_AREA_RANGE = (0.08, 1.0)
CROP_ASPECT_RATIO_RANGE = (3.0 / 4.0, 4.0 / 3.0)
CROP_MAX_ATTEMPTS = 100
BRIGHTNESS_MAX_DELTA = 32.0 / 255.0
SATURATION_RANGE = (0.5, 1.5)
HUE_MAX_DELTA = 0.2
CONTRAST_RANGE = (0.5, 1.5)

# Magic numbers of the formats decode accepts (tf.io.decode_image also reads JPEG XL, which
# the interface does not promise).
_FORMAT_PREFIXES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"BM")


def resize(images, image_size):
    """float32 [..., h, w, 3] -> float32 [..., image_size[0], image_size[1], 3] in [0, 1]."""
    return tf.clip_by_value(tf.image.resize(images, image_size, method="bilinear"), 0.0, 1.0)


def crop_color(image, image_size, seed):
    """Random crop then colour distortion of one image.

    image: float32 [h, w, 3] in [0, 1]; seed: int64 [2]
    -> float32 [image_size[0], image_size[1], 3] in [0, 1].
    The crop covers a fraction of the image area in CROP_AREA_RANGE with width/height in
    CROP_ASPECT_RATIO_RANGE (TensorFlow's sample_distorted_bounding_box, the whole image when
    CROP_MAX_ATTEMPTS draws do not fit) and is resized bilinearly. Then, in this order, each
    clipped to [0, 1]: brightness + U(-32/255, 32/255), saturation x U(0.5, 1.5),
    hue + U(-0.2, 0.2) turns, contrast x U(0.5, 1.5) around each channel's mean.
    """
    crop_seed, brightness_seed, saturation_seed, hue_seed, contrast_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 5)
    )
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image),
        bounding_boxes=tf.zeros([1, 0, 4]),
        seed=crop_seed,
        min_object_covered=0.0,
        aspect_ratio_range=CROP_ASPECT_RATIO_RANGE,
        area_range=CROP_AREA_RANGE,
        max_attempts=CROP_MAX_ATTEMPTS,
        use_image_if_no_bounding_boxes=True,
    )
    image = resize(tf.slice(image, begin, size), image_size)
    image = tf.image.stateless_random_brightness(image, BRIGHTNESS_MAX_DELTA, brightness_seed)
    image = tf.clip_by_value(image, 0.0, 1.0)
    image = tf.image.stateless_random_saturation(image, *SATURATION_RANGE, saturation_seed)
    image = tf.clip_by_value(image, 0.0, 1.0)
    image = tf.image.stateless_random_hue(image, HUE_MAX_DELTA, hue_seed)
    image = tf.clip_by_value(image, 0.0, 1.0)
    image = tf.image.stateless_random_contrast(image, *CONTRAST_RANGE, contrast_seed)
    return tf.clip_by_value(image, 0.0, 1.0)


def nas_svhn(image, image_size, seed):
    """AutoAugment's SVHN policy (see autoaugment.py) on one image, then a bilinear resize.

    image: float32 [h, w, 3] in [0, 1]; seed: int64 [2]
    -> float32 [image_size[0], image_size[1], 3] in [0, 1].
    """
    return resize(autoaugment.apply_policy(image, autoaugment.SVHN_POLICY, seed), image_size)


def decode(encoded, index):
    """One image's bytes -> float32 [h, w, 3] in [0, 1]; names encoded_images[index] if unknown."""
    known = tf.reduce_any(
        [tf.strings.substr(encoded, 0, len(prefix)) == prefix for prefix in _FORMAT_PREFIXES]
        + [
            tf.logical_and(
                tf.strings.substr(encoded, 0, 4) == b"RIFF",
                tf.strings.substr(encoded, 8, 4) == b"WEBP",
            )
        ]
    )
    check = tf.debugging.Assert(
        known,
        [
            tf.strings.format(
                "encoded_images[{}] is not a JPEG, PNG, GIF, BMP or WebP image: "
                "its first bytes {} match none of these formats",
                (index, tf.strings.substr(encoded, 0, 8)),
            )
        ],
    )
    with tf.control_dependencies([check]):
        image = tf.io.decode_image(encoded, channels=3, dtype=tf.float32, expand_animations=False)
    return tf.ensure_shape(image, [None, None, 3])


class AugmentationModule(tf.Module):
    """The SavedModel's object: TF Hub's two signatures plus a seeded function.

    augment_one(image [h, w, 3], image_size [2], seed int64 [2]) -> [height, width, 3]
    is the module's policy for one image; call_seed fixes the random op of the signatures.
    """

    def __init__(self, augment_one, call_seed):
        super().__init__()
        # One trace shared by the three functions below (halves nas_svhn's build time).
        self._augment_one = tf.function(augment_one)
        self._call_seed = call_seed

    def _draw_seed(self):
        return tf.raw_ops.RandomUniformInt(
            shape=[2],
            minval=tf.constant(tf.int64.min, tf.int64),
            maxval=tf.constant(tf.int64.max, tf.int64),
            seed=self._call_seed[0],
            seed2=self._call_seed[1],
        )

    def process_encoded(self, encoded_images, image_size, augmentation, seed):
        """string [batch] -> float32 [batch, height, width, 3] in [0, 1]."""
        image_size = _checked_size(image_size)

        def one(index):
            image = decode(encoded_images[index], index)
            return tf.cond(
                augmentation,
                lambda: self._augment_one(image, image_size, _image_seed(seed, index)),
                lambda: resize(image, image_size),
            )

        return tf.map_fn(
            one,
            tf.range(tf.shape(encoded_images)[0]),
            fn_output_signature=tf.TensorSpec([None, None, 3], tf.float32),
        )

    def process_decoded(self, images, image_size, augmentation, seed):
        """float32 [batch, h, w, 3] -> float32 [batch, height, width, 3] in [0, 1]."""
        image_size = _checked_size(image_size)

        def augmented():
            return tf.map_fn(
                lambda index: self._augment_one(
                    images[index], image_size, _image_seed(seed, index)
                ),
                tf.range(tf.shape(images)[0]),
                fn_output_signature=tf.TensorSpec([None, None, 3], tf.float32),
            )

        return tf.cond(augmentation, augmented, lambda: resize(images, image_size))

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.string, name="encoded_images"),
            tf.TensorSpec([2], tf.int32, name="image_size"),
            tf.TensorSpec([], tf.bool, name="augmentation"),
        ]
    )
    def default(self, encoded_images, image_size, augmentation):
        seed = self._draw_seed()
        return {"default": self.process_encoded(encoded_images, image_size, augmentation, seed)}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, None, 3], tf.float32, name="images"),
            tf.TensorSpec([2], tf.int32, name="image_size"),
            tf.TensorSpec([], tf.bool, name="augmentation"),
        ]
    )
    def from_decoded_images(self, images, image_size, augmentation):
        seed = self._draw_seed()
        return {"default": self.process_decoded(images, image_size, augmentation, seed)}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, None, 3], tf.float32, name="images"),
            tf.TensorSpec([2], tf.int32, name="image_size"),
            tf.TensorSpec([], tf.bool, name="augmentation"),
            tf.TensorSpec([2], tf.int64, name="seed"),
        ]
    )
    def from_decoded_images_with_seed(self, images, image_size, augmentation, seed):
        return self.process_decoded(images, image_size, augmentation, seed)


def _checked_size(image_size):
    check = tf.debugging.assert_positive(
        image_size, message="image_size must be two positive integers (height, width)"
    )
    with tf.control_dependencies([check]):
        return tf.identity(image_size)


def _image_seed(seed, index):
    return tf.random.experimental.stateless_fold_in(seed, tf.cast(index, tf.int64))


def save_module(augment_one, name, out_dir):
    """Writes the SavedModel of `augment_one` into out_dir; its call seed derives from name."""
    checksum = zlib.crc32(name.encode())
    module = AugmentationModule(augment_one, call_seed=(checksum + 1, checksum // 7 + 1))
    tf.saved_model.save(
        module,
        str(out_dir),
        signatures={
            "default": module.default.get_concrete_function(),
            "from_decoded_images": module.from_decoded_images.get_concrete_function(),
        },
    )


@register(
    name="image_augmentation/crop_color",
    category=CATEGORY,
    summary="Random crop (8-100% of the area, aspect 3/4-4/3) then random brightness, "
    "saturation, hue and contrast; resizes to image_size (as google/image_augmentation/"
    "crop_color/1)",
)
def build_crop_color(out_dir):
    save_module(crop_color, "image_augmentation/crop_color", out_dir)


@register(
    name="image_augmentation/nas_svhn",
    category=CATEGORY,
    summary="AutoAugment's SVHN policy (Cubuk et al., 2019: one of 25 sub-policies of shear, "
    "translate, rotate, invert, equalize, solarize, contrast...) then resize to image_size "
    "(as google/image_augmentation/nas_svhn/1)",
)
def build_nas_svhn(out_dir):
    save_module(nas_svhn, "image_augmentation/nas_svhn", out_dir)
