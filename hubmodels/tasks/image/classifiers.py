"""Image factories: `image_classifier` (a module's own classes) and `feature_vector_classifier`
(transfer learning: module, optional augmentation, dense head; selective unfreezing).
"""

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.image_input import image_size_of
from hubmodels.hub.layers import module_layer
from hubmodels.hub.module import Module
from hubmodels.tasks.fine_tuning import unfrozen_names
from hubmodels.tasks.heads import dense_head
from hubmodels.tasks.image.augmentation import AugmentationLayer
from hubmodels.tasks.labels import fit_to_outputs, module_labels, read_labels
from hubmodels.tasks.task_model import TaskModel
from hubmodels.training.strategy import builds_under

TASK = "image"


def _image_input(size):
    shape = (None, None, 3) if size is None else (*size, 3)
    return keras.Input(shape=shape, dtype=tf.float32, name="images")


@builds_under
def image_classifier(handle, signature=None, output_key=None, labels=None, softmax=True):
    """A model from images to the module's class probabilities.

    images: float32 [batch, height, width, 3] in [0, 1] (the module's size)
      -> probabilities [batch, num_classes]; `model.class_names` holds the labels
      (user list or file, else the module's assets/labels.txt; 1001 outputs get
      "background" first).
    strategy: build under this tf.distribute strategy (see hubmodels.training.strategy).
    """
    module = Module(handle)
    inputs = _image_input(image_size_of(module, signature))
    logits = module_layer(module, signature=signature, output_key=output_key)(inputs)
    outputs = keras.layers.Softmax(name="probs")(logits) if softmax else logits
    names = read_labels(labels) if labels is not None else module_labels(module.path)
    origin = "the labels given" if labels is not None else f"module {module.handle}"
    class_names = fit_to_outputs(names, outputs.shape[-1], origin)
    return TaskModel(inputs, outputs, task=TASK, class_names=class_names, name="image_classifier")


def predict_top_k(model, images, k=5, batch_size=32):
    """Per image, the k most probable (label, score) pairs, best first.

    images: float32 [batch, h, w, 3] in [0, 1] at the model's input size.
    """
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    names = getattr(model, "class_names", None) or [
        f"class_{i}" for i in range(probabilities.shape[-1])
    ]
    k = min(k, probabilities.shape[-1])
    top = tf.math.top_k(probabilities, k=k)
    return [
        [(names[int(i)], float(s)) for i, s in zip(indices, scores)]
        for indices, scores in zip(top.indices.numpy(), top.values.numpy())
    ]


@builds_under
def feature_vector_classifier(
    handle,
    num_classes,
    multi_label=False,
    unfreeze=None,
    augmentation=None,
    dropout=0.2,
    head=(),
    signature=None,
    output_key=None,
    image_size=None,
    train_batch_norm=False,
    tags=None,
    class_names=None,
):
    """Transfer learning: images -> [augmentation] -> module features -> dense head.

    images: float32 [batch, height, width, 3] in [0, 1] -> probabilities
    [batch, num_classes] (softmax, or sigmoid when multi_label).

    unfreeze: module variables to fine-tune with the head (see
      hubmodels.hub.unfreeze: a scope like "block4", a regex, a list, or an int
      N for the last N blocks); None keeps the module frozen.
    augmentation: an augmentation module ("crop_color", "nas_svhn" or a handle),
      applied only in training; it also resizes to the module's input size.
    head: hidden layer sizes of the dense head, e.g. (256,).
    image_size: (height, width) for modules that accept any size; must match a declared one.
    train_batch_norm: let unfrozen batch norm use batch statistics and update
      its moving averages (default: frozen statistics). TF2 modules only; a TF1
      module's training graph is chosen with tags={"train"}.
    class_names: names of the classes (one per class), kept on the model.
    strategy: build under this tf.distribute strategy ("mirrored", "multiworker", "tpu" or a
      tf.distribute.Strategy; see hubmodels.training.strategy), then train it with fit.
    """
    fine_tune = bool(unfreeze)  # None, False, 0 and [] keep the module frozen
    module = Module(handle, trainable=fine_tune, tags=tags)
    size = _image_size(module, signature, image_size)
    if augmentation and size is None:
        raise InputError(
            f"module {module.handle} accepts any image size: give image_size=(h, w) "
            "for the augmentation module to resize to"
        )
    selected = unfrozen_names(module, unfreeze) if fine_tune else []
    inputs = _image_input(None if augmentation else size)
    x = inputs
    if augmentation:
        x = AugmentationLayer(augmentation, size, name="augmentation")(x)
    layer = module_layer(
        module,
        signature=signature,
        output_key=output_key,
        trainable_names=selected,
        module_training=train_batch_norm,
    )
    features = layer(x)
    if features.shape.rank != 2:
        raise InputError(
            f"module {module.handle} gives features of shape {tuple(features.shape)}, expected "
            "[batch, d]: choose a feature-vector signature or output_key"
        )
    outputs = dense_head(num_classes, multi_label, dropout, head)(features)
    return TaskModel(
        inputs,
        outputs,
        task=TASK,
        class_names=class_names,
        multi_label=multi_label,
        name="feature_vector_classifier",
    )


def _image_size(module, signature, image_size):
    """The module's declared (height, width), or `image_size` when it declares none."""
    declared = image_size_of(module, signature)
    wanted = tuple(int(d) for d in image_size) if image_size is not None else None
    if declared is not None and wanted is not None and wanted != declared:
        raise InputError(
            f"image_size={wanted} conflicts with the size {declared} that module "
            f"{module.handle} declares; leave image_size out"
        )
    return declared or wanted
