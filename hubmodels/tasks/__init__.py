"""The tasks: one package per category of module, and the small base they share.

Base: `task_model.TaskModel` (the model every factory returns), `heads` (dense heads),
`labels` (class names), `objectives` (loss and metrics), `report` (what trains).
Categories live in their own packages (`image/`, then text, video, detection,
generation); `TASKS` below is the one line a new category adds.

A task package exposes, in its `__init__.py` (a task without training, such as generation,
leaves out the training hooks; `providing` tells who has which):
  serving_signatures(model, metadata) -> {name: tf.function}   what an export serves
  export_metadata(model, **options) -> dict                     task facts an export keeps
  restore_metadata(model, metadata) -> None                     puts them back on load
  add_commands(subparsers) -> None                              its own `hubmodels` commands
  add_train_arguments(parser) -> None; train(args) -> None      `hubmodels train --task NAME`
  predict(model, args) -> None                                  `hubmodels predict` on its exports
  load_export(path) -> model (optional)                         its exports (else: load_model)
  quickstart(args) -> dict                                      its step of `hubmodels quickstart`
  litert_model(model) -> model (optional)                       the form LiteRT converts
  litert_signatures(model, specs) -> {name: fn} (optional)      its other LiteRT signatures
"""

import importlib

from hubmodels.errors import InputError

TASKS = {
    "image": "hubmodels.tasks.image",
    "text": "hubmodels.tasks.text",
    "video": "hubmodels.tasks.video",
    "detection": "hubmodels.tasks.detection",
    "generation": "hubmodels.tasks.generation",
}


def names() -> list:
    """The task names, in the order the quickstart runs them."""
    return list(TASKS)


def get(name: str):
    """The package of task `name` (imported on first use)."""
    try:
        return importlib.import_module(TASKS[name])
    except KeyError:
        raise InputError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}") from None


def providing(hook: str) -> list:
    """The names of the tasks whose package provides `hook`, e.g. "train"."""
    return [name for name in TASKS if hasattr(get(name), hook)]
