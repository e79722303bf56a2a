"""Compiling a task model: Adam, the task's loss and metrics, a learning rate per group."""

from hubmodels._keras import keras
from hubmodels.errors import InputError


def compile_for_task(model, learning_rate=1e-3, module_learning_rate=None):
    """Adam with the task's loss and metrics; module weights get `module_learning_rate` if given.

    model: a TaskModel (from a hubmodels factory).
    """
    if not hasattr(model, "loss_and_metrics"):
        raise InputError(
            f"model {model.name!r} was not made by a hubmodels factory: compile it yourself"
        )
    loss, metrics = model.loss_and_metrics()
    module_optimizer = None
    if module_learning_rate is not None:
        module_optimizer = keras.optimizers.Adam(module_learning_rate)
    model.compile(
        keras.optimizers.Adam(learning_rate),
        loss=loss,
        metrics=metrics,
        module_optimizer=module_optimizer,
    )
