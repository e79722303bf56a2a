"""`image_generator(handle)`: a latent-to-image module as a model of images in [0, 1].

What the module takes is read from its signature (`LatentSpec`):
  - the latent: the one float32 input [batch, dim] (ProGAN's `default`, BigGAN's `z`);
  - optionally a class: a float32 one-hot input [batch, num_classes] named one of
    CLASS_KEYS (BigGAN's `y`);
  - optionally a truncation: a float32 scalar input named `truncation` (BigGAN's).
Its default output must be images [batch, height, width, 3].

The range of the module's images, mapped to [0, 1], comes from, in this order:
  1. the `output_range=(low, high)` argument;
  2. the module's own declaration: the message attached under `image_range` ("low high"),
     which the zoo's generators carry;
  3. KNOWN_RANGES, the published range of TF Hub generators, matched on the handle or on
     the tfhub.dev module a zoo stand-in copies (its card's `standin_of`).
Otherwise image_generator fails and asks for `output_range`: it never guesses.
"""

import dataclasses
from pathlib import Path

import numpy as np

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError, ModuleFormatError
from hubmodels.hub import card
from hubmodels.hub.module import Module
from hubmodels.hub.tf1_writer import read_attached_message
from hubmodels.tasks.generation import latents as latent_ops

CLASS_KEYS = ("y", "label", "labels", "class", "classes")
TRUNCATION_KEY = "truncation"
RANGE_KEY = "image_range"
# Substrings of tfhub.dev handles -> the range of that generator's images.
KNOWN_RANGES = {
    "google/progan-128": (0.0, 1.0),
    "deepmind/biggan-": (-1.0, 1.0),
}


@dataclasses.dataclass(frozen=True)
class LatentSpec:
    """What a generator's signature takes (input keys, latent size, classes)."""

    latent_key: str
    dim: int
    class_key: str | None = None
    num_classes: int | None = None
    truncation_key: str | None = None

    @property
    def conditional(self) -> bool:
        return self.class_key is not None


@dataclasses.dataclass
class Samples:
    """Generated images and what made them.

    images: float32 [n, height, width, 3] in [0, 1]; latents: float32 [n, dim];
    classes: int [n] (None for unconditional generators); seed: the seed of the draw.
    """

    images: np.ndarray
    latents: np.ndarray
    classes: np.ndarray | None = None
    seed: int | None = None

    def save_grid(self, path, cols=None, pad=2):
        from hubmodels.tasks.generation.grids import save_grid

        return save_grid(self.images, path, cols=cols, pad=pad)

    def save_animation(self, path, seconds_per_frame=0.15):
        from hubmodels.tasks.generation.grids import save_animation

        return save_animation(self.images, path, seconds_per_frame=seconds_per_frame)


def _describe(inputs: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(inputs.items())) + "}"


def read_spec(module: Module, signature=None) -> LatentSpec:
    """The LatentSpec of `signature` (None: the default); InputError if it takes no latent."""
    info = module.signature_info(signature)
    inputs = dict(info.inputs)
    expected = (
        f"a latent vector float32 [batch, dim] (optionally with a one-hot class input named "
        f"one of {list(CLASS_KEYS)} and a scalar {TRUNCATION_KEY!r})"
    )
    where = f"signature {info.name!r} of module {module.handle}"
    truncation_key = class_key = num_classes = None
    if TRUNCATION_KEY in inputs and inputs[TRUNCATION_KEY].shape.rank == 0:
        truncation_key = TRUNCATION_KEY
    class_keys = [k for k in CLASS_KEYS if k in inputs]
    if class_keys:
        class_key = class_keys[0]
        shape = inputs[class_key].shape
        if not (inputs[class_key].dtype.is_floating and shape.rank == 2 and shape[1]):
            raise InputError(
                f"{where} has a class input {class_key!r} {inputs[class_key]}; expected a "
                "one-hot float32 [batch, num_classes]"
            )
        num_classes = int(shape[1])
    rest = {k: v for k, v in inputs.items() if k not in (truncation_key, class_key)}
    latent = next(iter(rest.values())) if len(rest) == 1 else None
    if latent is None or not (
        latent.dtype.is_floating and not latent.is_sparse and latent.shape.rank == 2
    ):
        raise InputError(f"{where} takes {_describe(inputs)}, not {expected}")
    if not latent.shape[1]:
        raise InputError(f"{where} takes latents {latent} of unknown size; expected [batch, dim]")
    outputs = info.outputs
    image = outputs.get("default", next(iter(outputs.values())) if len(outputs) == 1 else None)
    if image is None or image.shape.rank != 4 or image.shape[-1] not in (3, None):
        raise InputError(
            f"{where} returns {_describe(outputs)}; expected images [batch, height, width, 3] "
            "as its 'default' (or only) output"
        )
    return LatentSpec(
        next(iter(rest)), int(latent.shape[1]), class_key, num_classes, truncation_key
    )


def declared_range(module: Module):
    """(low, high) from the module's `image_range` message or KNOWN_RANGES; None if neither."""
    if (Path(module.path) / "saved_model.pb").is_file():
        message = read_attached_message(module.path, RANGE_KEY, module.tags)
        if message is not None:
            try:
                return check_range(tuple(float(v) for v in message.decode().split()))
            except (InputError, ValueError):
                raise ModuleFormatError(
                    f"module {module.handle} declares its image range as {message!r}; "
                    "expected two numbers 'low high'"
                ) from None
    names = (module.handle, card.read(module.path).get("standin_of", ""))
    for fragment, known in KNOWN_RANGES.items():
        if any(fragment in name for name in names):
            return known
    return None


def check_range(value) -> tuple:
    """(low, high) as floats with low < high; InputError otherwise."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(f"output_range must be two numbers (low, high), got {value!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise InputError(f"output_range must have low < high (both finite), got {value!r}")
    return low, high


class ImageGenerator(keras.Model):
    """A generator module giving images in [0, 1].

    Call: latents float32 [batch, dim] (+ classes int [batch] for conditional modules)
    -> images float32 [batch, height, width, 3] in [0, 1]. Gradients flow to the latents.
    Attributes: `spec` (LatentSpec), `output_range` (the module's (low, high)), `handle`.
    """

    def __init__(self, module: Module, spec: LatentSpec, signature, output_range, **kwargs):
        super().__init__(**kwargs)
        self.module = module
        self.handle = module.handle
        self.spec = spec
        self.signature = signature
        self.output_range = output_range

    @property
    def latent_dim(self) -> int:
        return self.spec.dim

    @property
    def num_classes(self):
        return self.spec.num_classes

    def call(self, latents, classes=None, truncation=None):
        feeds = {self.spec.latent_key: tf.convert_to_tensor(latents, tf.float32)}
        if self.spec.conditional:
            classes = tf.convert_to_tensor(classes)
            feeds[self.spec.class_key] = tf.one_hot(classes, self.spec.num_classes)
        if self.spec.truncation_key:
            value = 1.0 if truncation is None else truncation
            feeds[self.spec.truncation_key] = tf.constant(value, tf.float32)
        raw = self.module(feeds, signature=self.signature)
        low, high = self.output_range
        return tf.clip_by_value((raw - low) / (high - low), 0.0, 1.0)

    # Checked numpy entry points ------------------------------------------------------

    def check_latents(self, latents) -> np.ndarray:
        """latents as float32 [n, dim]; InputError naming the expected size otherwise."""
        array = np.asarray(latents, dtype="float32")
        if array.ndim != 2 or array.shape[1] != self.spec.dim or len(array) == 0:
            raise InputError(
                f"module {self.handle} takes latents [batch, {self.spec.dim}], "
                f"got shape {array.shape}"
            )
        return array

    def check_classes(self, classes, n):
        """classes (one int or n ints) as int [n], or None for unconditional modules."""
        if not self.spec.conditional:
            if classes is not None:
                raise InputError(f"module {self.handle} is not conditional; it takes no classes")
            return None
        if classes is None:
            raise InputError(
                f"module {self.handle} is conditional: pass classes "
                f"(0 to {self.spec.num_classes - 1})"
            )
        array = np.broadcast_to(np.asarray(classes), (n,)) if np.ndim(classes) == 0 else classes
        array = np.asarray(array)
        if array.shape != (n,) or not np.issubdtype(array.dtype, np.integer):
            raise InputError(
                f"classes must be one integer or {n} integers, got {np.asarray(classes)!r:.80}"
            )
        bad = array[(array < 0) | (array >= self.spec.num_classes)]
        if bad.size:
            raise InputError(
                f"class {int(bad[0])} is outside the classes of module {self.handle}: "
                f"0 to {self.spec.num_classes - 1}"
            )
        return array.astype("int32")

    def generate(self, latents, classes=None, truncation=None, batch_size=64) -> np.ndarray:
        """Images float32 [n, height, width, 3] in [0, 1] for latents [n, dim]."""
        latents = self.check_latents(latents)
        classes = self.check_classes(classes, len(latents))
        truncation = latent_ops.check_truncation(truncation)
        parts = []
        for start in range(0, len(latents), batch_size):
            part = slice(start, start + batch_size)
            batch_classes = None if classes is None else classes[part]
            parts.append(self(latents[part], batch_classes, truncation).numpy())
        return np.concatenate(parts)

    def sample_latents(self, n, seed=None, truncation=None) -> tuple:
        """(latents float32 [n, dim], classes int [n] or None, seed) drawn from `seed`.

        Latents are standard normal; with `truncation` t, every value beyond +-t is redrawn
        (for modules with a truncation input, BigGAN's convention instead: t times a normal
        truncated at +-2, and t fed to the module). Classes, for conditional modules, are
        uniform, drawn after the latents from the same generator.
        """
        n = latent_ops.check_count(n)
        truncation = latent_ops.check_truncation(truncation)
        seed = latent_ops.new_seed() if seed is None else seed
        rng = np.random.default_rng(seed)
        if self.spec.truncation_key and truncation is not None:
            z = truncation * latent_ops.truncated_normal(rng, (n, self.spec.dim), 2.0)
        else:
            z = latent_ops.truncated_normal(rng, (n, self.spec.dim), truncation)
        classes = rng.integers(0, self.spec.num_classes, n) if self.spec.conditional else None
        return z.astype("float32"), classes, seed

    def sample(self, n, seed=None, truncation=None, classes=None) -> Samples:
        """n images from `seed` (None: a fresh seed, kept in the result).

        classes: for conditional modules, one class or n classes (None: drawn from the seed).
        The same seed gives the same latents and images in any process.
        """
        z, drawn, seed = self.sample_latents(n, seed, truncation)
        classes = drawn if classes is None else self.check_classes(classes, len(z))
        return Samples(self.generate(z, classes, truncation), z, classes, seed)

    def interpolate(self, z0, z1, steps, method="slerp", classes=None, truncation=None):
        """Samples along the path from latent z0 to z1 (see latents.interpolate)."""
        path = latent_ops.interpolate(z0, z1, steps, method)
        return Samples(self.generate(path, classes, truncation), path, classes)


def image_generator(handle, signature=None, output_range=None) -> ImageGenerator:
    """An ImageGenerator over the generator module at `handle`.

    signature: the module's signature (None: its default).
    output_range: (low, high) of the module's images, when the module does not declare it
      (see the module docstring); e.g. (-1, 1) for a tanh output.
    """
    module = handle if isinstance(handle, Module) else Module(handle)
    spec = read_spec(module, signature)
    if output_range is not None:
        output_range = check_range(output_range)
    else:
        output_range = declared_range(module)
    if output_range is None:
        raise InputError(
            f"module {module.handle} does not declare the range of its images (no "
            f"{RANGE_KEY!r} message, not a known TF Hub generator); pass "
            "output_range=(low, high), e.g. (-1, 1) for a tanh output or (0, 1)"
        )
    return ImageGenerator(module, spec, signature, output_range)
