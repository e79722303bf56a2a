"""`AugmentationLayer`: a TF Hub image-augmentation module as a tf-keras layer.

images float32 [batch, h, w, 3] in [0, 1] -> [batch, height, width, 3] in [0, 1].
In training the module's random policy runs (the tutorial's
`augmentation=is_training`); otherwise it only resizes, so validation and
serving see the same sizes.
"""

from hubmodels._keras import keras, tf
from hubmodels.errors import SignatureError
from hubmodels.hub.module import Module

SHORT_NAMES = ("crop_color", "nas_svhn")


def augmentation_handle(name: str) -> str:
    """ "crop_color" -> "hubmodels://image_augmentation/crop_color"; handles pass through."""
    return f"hubmodels://image_augmentation/{name}" if name in SHORT_NAMES else name


class AugmentationLayer(keras.layers.Layer):
    """Runs the module's `from_decoded_images` signature; no variables, not trainable."""

    # Acts differently in training: module outputs after it cannot be computed once.
    random_in_training = True

    def __init__(self, module, image_size, **kwargs):
        super().__init__(trainable=False, **kwargs)
        if not isinstance(module, Module):
            module = Module(augmentation_handle(module))
        self.module = module
        # Tracked, so that an export carries the module's functions.
        self.loaded_object = module.loaded_object
        self.image_size = tuple(int(d) for d in image_size)
        if "from_decoded_images" not in module.get_signature_names():
            raise SignatureError(
                f"augmentation module {module.handle} has no 'from_decoded_images' signature; "
                f"available: {module.get_signature_names()}"
            )

    def call(self, images, training=None):
        augment = tf.constant(bool(training)) if not tf.is_tensor(training) else training
        return self.module(
            {
                "images": images,
                "image_size": tf.constant(self.image_size, tf.int32),
                "augmentation": tf.cast(augment, tf.bool),
            },
            signature="from_decoded_images",
        )

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([input_shape[0], *self.image_size, 3])

    def get_config(self):
        config = super().get_config()
        config.update(module=self.module.handle, image_size=list(self.image_size))
        return config
