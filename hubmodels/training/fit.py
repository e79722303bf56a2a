"""Fitting helpers: default loss and metrics, per-group learning rates, gradual
unfreezing, checkpoints with resumption, and feature caching for frozen modules.

    model = hubmodels.feature_vector_classifier(handle, num_classes=5, unfreeze=1)
    history = hubmodels.fit(model, train_ds, validation_ds, epochs=5,
                            learning_rate=1e-3, module_learning_rate=1e-4)

Datasets yield (images, labels): int labels [batch] (one label) or multi-hot
float labels [batch, num_classes] (multi-label).
"""

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub import unfreeze
from hubmodels.hub.backends import variable_name
from hubmodels.training.cached import can_cache_features, fit_on_cached_features
from hubmodels.training.compile import compile_for_task
from hubmodels.training.unfreezing import GradualUnfreezing


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
        names = [variable_name(v) for v in model.module_variables()]
        callbacks.append(GradualUnfreezing(unfreeze.blocks(names)))
    use_cache = cache_features == "auto" and can_cache_features(model)
    if use_cache:
        return fit_on_cached_features(
            model, train, validation, epochs, callbacks, verbose, shuffle_cache
        )
    return model.fit(
        train, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
