"""Training a frozen module's head on module outputs computed once (same model, faster epochs)."""

import numpy as np

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.layers import is_module_layer


def can_cache_features(model) -> bool:
    """Whether the module's outputs are the same every epoch: it is frozen, and no layer
    before it acts randomly in training (augmentation)."""
    return not model.trains_module() and not any(
        getattr(layer, "random_in_training", False) for layer in model.layers
    )


def feature_extractor(model):
    """The part of `model` from its input to the module layer's output."""
    module_layer = next(layer for layer in model.layers if is_module_layer(layer))
    return keras.Model(model.inputs, module_layer.output), model.get_layer("head")


def extract_features(extractor, dataset, verbose=1):
    """(features, labels) arrays of a whole dataset of (images, labels), in order."""
    features, labels = [], []
    progress = keras.utils.Progbar(None, unit_name="batch", verbose=1 if verbose else 0)
    for images, batch_labels in dataset:
        features.append(extractor(images, training=False).numpy())
        labels.append(batch_labels.numpy())
        progress.add(1)
    if not features:
        raise InputError("the dataset is empty: no batch to train on")
    return np.concatenate(features), np.concatenate(labels)


def _batch_size(dataset) -> int:
    for images, _ in dataset.take(1):
        return int(images.shape[0])
    raise InputError("the dataset is empty: no batch to train on")


def fit_on_cached_features(model, train, validation, epochs, callbacks, verbose, shuffle):
    extractor, head = feature_extractor(model)
    batch_size = _batch_size(train)
    if verbose:
        print("Caching module features (the module is frozen)...")
    features, labels = extract_features(extractor, train, verbose)
    cached = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        cached = cached.shuffle(len(features), seed=0, reshuffle_each_iteration=True)
    cached = cached.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    cached_validation = None
    if validation is not None:
        cached_validation = tf.data.Dataset.from_tensor_slices(
            extract_features(extractor, validation, verbose)
        ).batch(batch_size)
    head.compile(
        optimizer=model.optimizer,
        loss=model.loss,
        metrics=model.loss_and_metrics()[1],
    )
    return head.fit(
        cached,
        validation_data=cached_validation,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
