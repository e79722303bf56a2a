"""`fit`: training a factory-made model with the task's loss and metrics, a learning rate per
group, gradual unfreezing, resumable checkpoints, feature caching for frozen modules, and
tf.distribute strategies.

    model = hubmodels.feature_vector_classifier(handle, num_classes=5, unfreeze=1)
    history = hubmodels.fit(model, train_ds, validation_ds, epochs=5,
                            learning_rate=1e-3, module_learning_rate=1e-4)

Datasets yield (images, labels): int labels [batch] (one label) or multi-hot
float labels [batch, num_classes] (multi-label).

Under a strategy, build the model with the factory's `strategy=` and fit with the same one:
    model = hubmodels.feature_vector_classifier(handle, 5, strategy="mirrored")
    hubmodels.fit(model, train_ds, epochs=5, strategy="mirrored")
"""

import contextlib

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub import unfreeze
from hubmodels.hub.backends import variable_name
from hubmodels.tasks.task_model import TaskModel
from hubmodels.training.cached import (
    cache_blocker,
    feature_extractor,
    features_of,
    fit_on_features,
)
from hubmodels.training.compile import DEFAULT_LEARNING_RATE, compile_for_task, set_learning_rates
from hubmodels.training.strategy import for_model, sharded
from hubmodels.training.unfreezing import GradualUnfreezing


def fit(
    model,
    train,
    validation=None,
    epochs=5,
    learning_rate=None,
    module_learning_rate=None,
    gradual_unfreeze=False,
    cache_features="auto",
    shuffle_cache=True,
    checkpoint_dir=None,
    callbacks=(),
    verbose=1,
    strategy=None,
):
    """Trains a factory-made model; returns the Keras History.

    train, validation: tf.data.Datasets of (images, labels) batches; an empty one raises
      InputError.
    learning_rate: Adam's learning rate for the head, and for the module's unfrozen weights
      unless module_learning_rate is given. None: 1e-3 when fit compiles the model.
    module_learning_rate: a learning rate of their own for the module's unfrozen weights
      (InputError when the module is frozen).
    gradual_unfreeze: unfreeze the model's unfrozen blocks one per epoch, last first
      (epoch 0 trains the head only); InputError when the module is frozen.
    cache_features: "auto" computes a frozen module's outputs once and trains the head on
      them (the same model, much faster epochs) whenever it can: the module is frozen and
      nothing before it is random (augmentation). True does so or raises InputError saying
      why it cannot; False never does. Callbacks see the whole model either way.
    shuffle_cache: reshuffle cached features every epoch (False: the source's order).
    checkpoint_dir: keeps a backup each epoch; rerunning fit with the same
      folder after an interruption resumes where it stopped (under a multi-worker strategy
      every worker resumes; only the chief keeps its backup in this folder).
    strategy: "mirrored", "multiworker", "tpu", a tf.distribute.Strategy, or None (the one
      the model was built under, if any). The model must have been built under it (the
      factory's strategy= argument), else InputError. The datasets' batches are global
      batches, split among the replicas (see strategy.global_batch_size); workers share the
      input by file for file-reading pipelines, by element otherwise.

    A model that is not compiled is compiled here (Adam, the task's loss and metrics). On
    a compiled model (fitted before, or compiled by you) the learning rates given replace
    its optimizers' rates, for this fit and after; rates left None stay as they are, and
    so do the optimizers' state (Adam's moments), the loss and the metrics.
    """
    blocker = _check_arguments(model, train, validation, cache_features, module_learning_rate)
    strategy = for_model(model, strategy)
    train, validation = sharded(train, strategy), sharded(validation, strategy)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        # optimizers and metrics are made here, under the strategy of the model's variables
        callbacks = list(callbacks)
        if gradual_unfreeze:
            callbacks.append(_gradual_unfreezing(model))
        if checkpoint_dir is not None:
            callbacks.append(keras.callbacks.BackupAndRestore(str(checkpoint_dir)))
        if model.optimizer is None:
            rate = DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate
            compile_for_task(model, rate, module_learning_rate)
        else:
            set_learning_rates(model, learning_rate, module_learning_rate)
        options = dict(epochs=epochs, verbose=verbose)
        if cache_features and blocker is None:
            return _fit_on_cached_features(
                model, train, validation, shuffle_cache, callbacks=callbacks, **options
            )
        try:
            return model.fit(
                train,
                validation_data=validation,
                callbacks=[*callbacks, _ValidationBatches()],
                **options,
            )
        except ValueError as error:  # Keras' "Empty logs" after an epoch without a batch
            if next(iter(train.take(1)), None) is None:
                raise InputError("the training dataset is empty: it gives no batch") from error
            raise


def _fit_on_cached_features(model, train, validation, shuffle, **fit_kwargs):
    extractor = feature_extractor(model)
    verbose = fit_kwargs["verbose"]
    if verbose:
        print("Caching module features (the module is frozen)...")
    train_features = features_of(extractor, train, "training", verbose)
    validation_features = None
    if validation is not None:
        validation_features = features_of(extractor, validation, "validation", verbose)
    return fit_on_features(model, train_features, validation_features, shuffle, **fit_kwargs)


def _check_arguments(model, train, validation, cache_features, module_learning_rate):
    """InputError for arguments fit cannot honour; else why the model's module outputs
    cannot be cached (None: they can)."""
    if not isinstance(model, TaskModel):
        raise InputError(
            f"fit trains models made by hubmodels factories, got {type(model).__name__}: "
            "use model.fit for other models"
        )
    for role, dataset in (("training", train), ("validation", validation)):
        if dataset is None and role == "validation":
            continue
        if not isinstance(dataset, tf.data.Dataset):
            raise InputError(
                f"the {role} data must be a tf.data.Dataset of (images, labels) batches, "
                f"got {type(dataset).__name__}"
            )
        if dataset.cardinality() == 0:
            raise InputError(f"the {role} dataset is empty: it gives no batch")
    if module_learning_rate is not None and not model.trains_module():
        raise InputError(
            f"module_learning_rate={module_learning_rate}: the module of model {model.name!r} "
            "is frozen, nothing of it trains (build the model with unfreeze=...)"
        )
    if not (isinstance(cache_features, bool) or cache_features == "auto"):
        raise InputError(f'cache_features must be "auto", True or False, got {cache_features!r}')
    blocker = cache_blocker(model)
    if cache_features is True and blocker is not None:
        raise InputError(
            f"cache_features=True: the module outputs of model {model.name!r} cannot be "
            f'cached: {blocker}; pass cache_features="auto" or False to train end to end'
        )
    return blocker


def _gradual_unfreezing(model):
    if not model.trains_module():
        raise InputError(
            f"gradual_unfreeze=True: the module of model {model.name!r} is frozen, so there "
            "is nothing to unfreeze (build the model with unfreeze=...)"
        )
    scopes = unfreeze.blocks(variable_name(v) for v in model.module_variables())
    if not scopes:
        raise InputError(
            f"gradual_unfreeze=True: the unfrozen variables of model {model.name!r} form no "
            "blocks to unfreeze one by one (see hubmodels.hub.unfreeze.blocks)"
        )
    return GradualUnfreezing(scopes)


class _ValidationBatches(keras.callbacks.Callback):
    """Raises InputError when a validation pass gives no batch (Keras would skip it)."""

    def on_test_begin(self, logs=None):
        self.batches = 0

    def on_test_batch_end(self, batch, logs=None):
        self.batches += 1

    def on_test_end(self, logs=None):
        if not self.batches:
            raise InputError("the validation dataset is empty: it gives no batch")
