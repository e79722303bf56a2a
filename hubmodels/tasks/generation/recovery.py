"""`find_latent`: the latent whose image is closest to a target, by gradient descent.

As in TF Hub's ProGAN colab: minimise the mean squared error between the generated and
the target image plus `norm_weight * | ||z|| - sqrt(dim) |`, which keeps z near the shell
where a standard normal latent of that size lives.
"""

import numpy as np

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.tasks.generation import latents as latent_ops
from hubmodels.tasks.generation.generator import ImageGenerator, Samples


def find_latent(
    generator: ImageGenerator,
    image,
    steps=300,
    learning_rate=0.05,
    norm_weight=0.01,
    classes=None,
    seed=0,
) -> Samples:
    """The latent recovered for `image` float [height, width, 3] in [0, 1].

    classes: for conditional generators, the class to search in (one int).
    seed: seeds the starting latent. Returns Samples with one row: `latents` [1, dim] and
    its `images` [1, height, width, 3].
    """
    steps = latent_ops.check_count(steps, "steps")
    target = np.asarray(image, dtype="float32")
    classes = generator.check_classes(classes, 1)
    start, _, _ = generator.sample_latents(1, seed)
    shape = tuple(generator.generate(start, classes).shape[1:])
    if target.shape != shape:
        raise InputError(
            f"find_latent: module {generator.handle} makes images {shape}, the target "
            f"image is {target.shape}"
        )
    z = tf.Variable(start)
    optimizer = keras.optimizers.Adam(learning_rate)
    root_dim = float(np.sqrt(generator.latent_dim))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            made = generator(z, classes)
            loss = tf.reduce_mean(tf.square(made - target)) + norm_weight * tf.abs(
                tf.norm(z) - root_dim
            )
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])
        return loss

    for _ in range(steps):
        step()
    latent = z.numpy()
    return Samples(generator.generate(latent, classes), latent, classes)
