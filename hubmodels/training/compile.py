"""Compiling a task model: Adam, the task's loss and metrics, a learning rate per group;
and changing the learning rates of a model compiled before."""

import numbers

from hubmodels._keras import keras
from hubmodels.errors import InputError

DEFAULT_LEARNING_RATE = 1e-3


def compile_for_task(model, learning_rate=DEFAULT_LEARNING_RATE, module_learning_rate=None):
    """Adam with the task's loss and metrics; module weights get `module_learning_rate` if given.

    model: a TaskModel (from a hubmodels factory).
    """
    if not hasattr(model, "loss_and_metrics"):
        raise InputError(
            f"model {model.name!r} was not made by a hubmodels factory: compile it yourself"
        )
    _check_rate(learning_rate, "learning_rate")
    loss, metrics = model.loss_and_metrics()
    module_optimizer = None
    if module_learning_rate is not None:
        _check_rate(module_learning_rate, "module_learning_rate")
        module_optimizer = keras.optimizers.Adam(module_learning_rate)
    model.compile(
        keras.optimizers.Adam(learning_rate),
        loss=loss,
        metrics=metrics,
        module_optimizer=module_optimizer,
    )


def set_learning_rates(model, learning_rate=None, module_learning_rate=None):
    """Gives a compiled TaskModel's optimizers the rates that are not None; their state
    (e.g. Adam's moments), the loss and the metrics stay.

    learning_rate: of `model.optimizer` (the head's, and the module's when the module has
      no optimizer of its own).
    module_learning_rate: of `model.module_optimizer`; a model without one gets one, made
      like `model.optimizer` (same class and settings) with this rate.
    """
    if learning_rate is not None:
        _set_rate(model.optimizer, learning_rate, "learning_rate")
    if module_learning_rate is None:
        return
    if model.module_optimizer is not None:
        _set_rate(model.module_optimizer, module_learning_rate, "module_learning_rate")
        return
    _check_rate(module_learning_rate, "module_learning_rate")
    config = model.optimizer.get_config()
    config.update(learning_rate=module_learning_rate, name=f"module_{config['name']}")
    model.set_module_optimizer(type(model.optimizer).from_config(config))


def _set_rate(optimizer, rate, argument):
    _check_rate(rate, argument)
    try:
        optimizer.learning_rate = rate
    except TypeError as error:  # the optimizer was made with a LearningRateSchedule
        raise InputError(
            f"{argument}={rate}: the model's optimizer follows a learning-rate schedule, "
            f"which a number cannot replace; leave {argument} out (None) to keep it"
        ) from error


def _check_rate(rate, argument):
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not rate >= 0:
        raise InputError(f"{argument} must be a number >= 0, got {rate!r}")
