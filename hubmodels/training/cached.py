"""Training a frozen module's model on the module's outputs, computed once: the same model
and callbacks, much faster epochs.

    extractor = feature_extractor(model)           # images -> module outputs
    train = features_of(extractor, train_images)  # Features: arrays in dataset order
    history = fit_on_features(model, train, epochs=5, callbacks=[...])

`hubmodels.fit` takes this path for frozen modules; the keras-tuner HyperModel takes it
for frozen trials, with the features kept in a tuning.features.FeatureCache. The model
itself trains (only its head runs, on features): callbacks see the whole model, so
ModelCheckpoint, EarlyStopping(restore_best_weights=True) and BackupAndRestore work on it.
"""

import dataclasses

import numpy as np

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.training.strategy import sharded


@dataclasses.dataclass(frozen=True)
class Features:
    """A dataset's module outputs: features [n, d] (or [n, k, d] for a module run k times per
    example, as on a clip's frames) and labels [n] or [n, classes], in the order of one pass
    over the data; batch_size is the size of the data's batches."""

    features: np.ndarray
    labels: np.ndarray
    batch_size: int


def cache_blocker(model):
    """Why `model` cannot train on its module's outputs computed once, or None when it can:
    its module is frozen, nothing before it trains or acts randomly (augmentation), and
    its "head" layer goes from the module's output to the model's."""
    modules = model.module_layers()
    if len(modules) != 1 or len(model.outputs) != 1:
        return f"it has {len(modules)} module layers and {len(model.outputs)} outputs, not one each"
    if model.trains_module():
        return "its module trains (it was built with unfreeze)"
    position = model.layers.index(modules[0])
    for layer in model.layers[:position]:
        if getattr(layer, "random_in_training", False):
            return f"its layer {layer.name!r} before the module acts randomly in training"
        if layer.trainable_weights:
            return f"its layer {layer.name!r} before the module trains"
    head = next((layer for layer in model.layers if layer.name == "head"), None)
    nodes = head.inbound_nodes if head is not None else []
    if not (
        len(nodes) == 1
        and nodes[0].input_tensors is modules[0].output
        and nodes[0].outputs is model.outputs[0]
    ):
        return "it has no 'head' layer from the module's output to the model's"
    return None


def feature_extractor(model):
    """The part of `model` from its input to the module layer's output: images -> features."""
    return keras.Model(model.inputs, model.module_layers()[0].output)


def features_of(extractor, dataset, role="training", verbose=1) -> Features:
    """The Features of a whole dataset of (images, labels) batches, in order.

    role names the dataset in the error raised when it is empty. A module that gives k
    outputs per example ([batch * k, d], e.g. one per frame) has them grouped: [batch, k, d].
    """
    extract = _extraction(extractor)
    features, labels = [], []
    progress = keras.utils.Progbar(None, unit_name="batch", verbose=1 if verbose else 0)
    for images, batch_labels in dataset:
        outputs = extract(images).numpy()
        labels.append(batch_labels.numpy())
        if len(outputs) != len(labels[-1]):
            outputs = outputs.reshape(len(labels[-1]), -1, *outputs.shape[1:])
        features.append(outputs)
        progress.add(1)
    if not features:
        raise InputError(f"the {role} dataset is empty: it gives no batch")
    return Features(np.concatenate(features), np.concatenate(labels), len(features[0]))


def _extraction(extractor):
    """images -> features with `extractor`; inside a strategy's scope it runs in the
    replicas (a restored module's functions refuse the cross-replica context there), and
    the first replica's result is taken: every replica computes the whole batch."""
    if not tf.distribute.has_strategy():
        return lambda images: extractor(images, training=False)
    strategy = tf.distribute.get_strategy()
    step = tf.function(lambda images: extractor(images, training=False))
    return lambda images: strategy.experimental_local_results(strategy.run(step, (images,)))[0]


def fit_on_features(model, train, validation=None, shuffle=True, **fit_kwargs):
    """Trains `model` (compiled) on Features of its module; returns the Keras History.

    train, validation: Features (validation may be None). shuffle: reshuffle the training
    features every epoch (False: their cached order). fit_kwargs go to keras.Model.fit
    (epochs, callbacks, verbose...). The History and the callbacks' model are `model`'s.
    A model built under a tf.distribute strategy trains under it, the features split among
    its workers by element.
    """
    blocker = cache_blocker(model)
    if blocker is not None:
        raise InputError(f"model {model.name!r} cannot train on cached module outputs: {blocker}")
    batches = tf.data.Dataset.from_tensor_slices((train.features, train.labels))
    if shuffle:
        batches = batches.shuffle(len(train.features), seed=0, reshuffle_each_iteration=True)
    strategy = model._distribution_strategy  # None unless built under a strategy
    batches = batches.batch(train.batch_size).prefetch(tf.data.AUTOTUNE)
    batches = sharded(batches, strategy, in_memory=True)
    validation_batches = None
    if validation is not None:
        validation_batches = tf.data.Dataset.from_tensor_slices(
            (validation.features, validation.labels)
        ).batch(validation.batch_size)
        validation_batches = sharded(validation_batches, strategy, in_memory=True)
    with model.steps_on_features():
        return model.fit(batches, validation_data=validation_batches, **fit_kwargs)
