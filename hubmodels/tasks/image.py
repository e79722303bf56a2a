"""Image tasks: `image_classifier` (a module's own classes) and `feature_vector_classifier`
(transfer learning: module, optional augmentation, dense head; selective unfreezing).
"""

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.heads import dense_head
from hubmodels.hub import unfreeze as unfreezing
from hubmodels.hub.augmentation import AugmentationLayer
from hubmodels.hub.backends import variable_name
from hubmodels.hub.image_input import image_size_of
from hubmodels.hub.layer import ModuleLayer
from hubmodels.hub.module import Module
from hubmodels.labels import fit_to_outputs, module_labels, read_labels
from hubmodels.task_model import TaskModel


def _image_input(size):
    shape = (None, None, 3) if size is None else (*size, 3)
    return keras.Input(shape=shape, dtype=tf.float32, name="images")


def image_classifier(handle, signature=None, output_key=None, labels=None, softmax=True):
    """A model from images to the module's class probabilities.

    images: float32 [batch, height, width, 3] in [0, 1] (the module's size)
      -> probabilities [batch, num_classes]; `model.class_names` holds the labels
      (user list or file, else the module's assets/labels.txt; 1001 outputs get
      "background" first).
    """
    module = Module(handle)
    inputs = _image_input(image_size_of(module, signature))
    logits = ModuleLayer(module, signature=signature, output_key=output_key, name="module")(inputs)
    outputs = keras.layers.Softmax(name="probs")(logits) if softmax else logits
    names = read_labels(labels) if labels is not None else module_labels(module.path)
    origin = "the labels given" if labels is not None else f"module {module.handle}"
    class_names = fit_to_outputs(names, outputs.shape[-1], origin)
    return TaskModel(inputs, outputs, class_names=class_names, name="image_classifier")


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
    train_batch_norm: let unfrozen batch norm use batch statistics and update
      its moving averages (default: frozen statistics).
    class_names: names of the classes, kept on the model (e.g. from hubmodels.data).
    """
    module = Module(handle, trainable=True, tags=tags)
    size = image_size_of(module, signature) or (tuple(image_size) if image_size else None)
    if augmentation and size is None:
        raise InputError(
            f"module {module.handle} accepts any image size: give image_size=(h, w) "
            "for the augmentation module to resize to"
        )
    names = [variable_name(v) for v in module.fine_tunable_variables]
    selected = set(unfreezing.select(names, unfreeze))
    inputs = _image_input(None if augmentation else size)
    x = inputs
    if augmentation:
        x = AugmentationLayer(augmentation, size, name="augmentation")(x)
    features = ModuleLayer(
        module,
        signature=signature,
        output_key=output_key,
        trainable=bool(selected),
        trainable_filter=selected.__contains__,
        module_training=train_batch_norm,
        name="module",
    )(x)
    outputs = dense_head(num_classes, multi_label, dropout, head)(features)
    return TaskModel(
        inputs,
        outputs,
        class_names=class_names,
        multi_label=multi_label,
        name="feature_vector_classifier",
    )


def trainable_report(model) -> dict:
    """Module variables that train, per ModuleLayer: {layer name: [variable names]}."""
    return {
        layer.name: list(layer.module_trainable_names) if layer.trainable else []
        for layer in model.layers
        if isinstance(layer, ModuleLayer)
    }
