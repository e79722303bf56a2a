"""Fitting helpers: default loss and metrics, per-group learning rates, gradual
unfreezing, checkpoints with resumption, and feature caching for frozen modules.

    model = hubmodels.feature_vector_classifier(handle, num_classes=5, unfreeze=1)
    history = hubmodels.fit(model, train_ds, validation_ds, epochs=5,
                            learning_rate=1e-3, module_learning_rate=1e-4)

Datasets yield (images, labels): int labels [batch] (one label) or multi-hot
float labels [batch, num_classes] (multi-label).
"""

import logging

import numpy as np

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.augmentation import AugmentationLayer
from hubmodels.hub.backends import variable_name
from hubmodels.hub.layer import ModuleLayer

log = logging.getLogger(__name__)


def default_metrics(num_classes: int, multi_label: bool) -> list:
    """Accuracy and top-k (one label), or binary accuracy and micro/macro F1 (multi-label)."""
    if multi_label:
        return [
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.F1Score(average="micro", threshold=0.5, name="f1_micro"),
            keras.metrics.F1Score(average="macro", threshold=0.5, name="f1_macro"),
        ]
    metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    if num_classes > 5:
        metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"))
    return metrics


def compile_for_task(model, learning_rate=1e-3, module_learning_rate=None):
    """Adam, the task's loss and metrics; module weights get `module_learning_rate` if given."""
    multi_label = bool(getattr(model, "multi_label", False))
    num_classes = int(model.outputs[0].shape[-1])
    loss = "binary_crossentropy" if multi_label else "sparse_categorical_crossentropy"
    kwargs = {}
    if module_learning_rate is not None:
        if not hasattr(model, "module_optimizer"):
            raise InputError("module_learning_rate needs a model made by a hubmodels factory")
        kwargs["module_optimizer"] = keras.optimizers.Adam(module_learning_rate)
    model.compile(
        keras.optimizers.Adam(learning_rate),
        loss=loss,
        metrics=default_metrics(num_classes, multi_label),
        **kwargs,
    )


class GradualUnfreezing(keras.callbacks.Callback):
    """Epoch 0 trains the head only; each later epoch unfreezes one more block,
    from the last, until every unfrozen block of the model trains."""

    def __init__(self, block_scopes):
        super().__init__()
        self.block_scopes = list(block_scopes)

    def on_epoch_begin(self, epoch, logs=None):
        scopes = self.block_scopes[len(self.block_scopes) - epoch :] if epoch else []
        names = {
            variable_name(v)
            for v in self.model.module_variables()
            if any(v.name.startswith(scope + "/") for scope in scopes)
        }
        self.model.set_unfrozen(names)
        log.info("epoch %d: training head and blocks %s", epoch, scopes)


def _module_is_frozen(model) -> bool:
    return all(
        not layer.trainable_weights for layer in model.layers if isinstance(layer, ModuleLayer)
    )


def _has_augmentation(model) -> bool:
    return any(isinstance(layer, AugmentationLayer) for layer in model.layers)


def fit(
    model,
    train,
    validation=None,
    epochs=5,
    learning_rate=1e-3,
    module_learning_rate=None,
    gradual_unfreeze=False,
    cache_features="auto",
    shuffle_cache=True,
    checkpoint_dir=None,
    callbacks=(),
    verbose=1,
):
    """Trains a factory-made model; returns the Keras History.

    train, validation: tf.data.Datasets of (images, labels) batches.
    cache_features: "auto" computes a frozen module's outputs once and trains
      the head on them (same final model, much faster epochs); False never does.
    shuffle_cache: reshuffle cached features every epoch (False: the source's order).
    checkpoint_dir: keeps a backup each epoch; rerunning fit with the same
      folder after an interruption resumes where it stopped.
    gradual_unfreeze: unfreeze the model's unfrozen blocks one per epoch, last first.
    """
    if not isinstance(train, tf.data.Dataset):
        raise InputError(f"train must be a tf.data.Dataset of (images, labels), got {type(train)}")
    if model.optimizer is None or module_learning_rate is not None:
        compile_for_task(model, learning_rate, module_learning_rate)
    callbacks = list(callbacks)
    if checkpoint_dir is not None:
        callbacks.append(keras.callbacks.BackupAndRestore(str(checkpoint_dir)))
    if gradual_unfreeze:
        from hubmodels.hub import unfreeze

        names = [variable_name(v) for v in model.module_variables()]
        callbacks.append(GradualUnfreezing(unfreeze.blocks(names)))
    use_cache = (
        cache_features == "auto" and _module_is_frozen(model) and not _has_augmentation(model)
    )
    if use_cache:
        return _fit_on_cached_features(
            model, train, validation, epochs, callbacks, verbose, shuffle_cache
        )
    return model.fit(
        train, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose
    )


def feature_extractor(model):
    """The part of `model` from its input to the module layer's output."""
    module_layer = next(layer for layer in model.layers if isinstance(layer, ModuleLayer))
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


def _fit_on_cached_features(model, train, validation, epochs, callbacks, verbose, shuffle):
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
        metrics=default_metrics(
            int(model.outputs[0].shape[-1]), bool(getattr(model, "multi_label", False))
        ),
    )
    return head.fit(
        cached,
        validation_data=cached_validation,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
