"""`save_model` writes a SavedModel that serves the task's inputs; `load_model` reads it back.

    hubmodels.save_model(model, "exports/flowers")
    served = tf.saved_model.load("exports/flowers")        # plain TensorFlow, no hubmodels
    served.signatures["serving_default"](image_bytes=tf.constant([jpeg_bytes]))
    model = hubmodels.load_model("exports/flowers")         # tf-keras; .class_names, ...

The task of the model (hubmodels.tasks) chooses the serving signatures and the metadata
kept beside them (see each task's `serving` module; images: hubmodels.tasks.image.serving).
The export carries that metadata in `assets/hubmodels_model.json`, a tracked asset: after
tf.saved_model.load it is at `served.hubmodels_metadata.asset_path`. It is self-contained:
module layers are revived from the saved graph, so the modules it was built from need not
exist where it is loaded. Packages that the modules' ops need (e.g. tensorflow_text for
MiniLM) are recorded and imported again by load_model.

The write is atomic (hubmodels.export.atomic): a failed save leaves `path` as it was.

Security: a SavedModel is a program; load only exports you trust. `load_model` never
deserialises Python bytecode (Lambda layers are revived from the saved graph).
"""

from pathlib import Path

from hubmodels import tasks
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError, ModuleFormatError
from hubmodels.export import atomic, metadata
from hubmodels.hub import backends, card
from hubmodels.hub.layers import is_module_layer


def save_model(model, path, overwrite=False, task=None, **options) -> Path:
    """Exports a functional tf-keras model of a task to the SavedModel folder `path`.

    model: a model from a hubmodels factory (its `task` says what it serves), or any
      functional tf-keras model with `task=` given (e.g. task="image").
    overwrite: replace an existing `path` (otherwise an existing non-empty `path` is refused).
    options: what the task's export takes, e.g. image_size=(h, w) for image models.
    Returns `path` as a Path.
    """
    task_name = task or getattr(model, "task", None)
    if task_name is None:
        raise InputError(
            f"model {model.name!r} was not made by a hubmodels factory: say which task it "
            f"serves with task=... (one of {', '.join(tasks.names())})"
        )
    serving = tasks.get(task_name)
    if not getattr(model, "inputs", None):
        raise InputError(
            f"save_model exports functional tf-keras models (as the hubmodels factories "
            f"build); model {model.name!r} has no symbolic inputs"
        )
    task_metadata = serving.export_metadata(model, **options)
    refuse_session_modules(model)
    task_metadata["requires"] = _required_packages(model)

    def write(folder, scratch):
        file = scratch / metadata.FILENAME
        written = metadata.write(file, task_name, task_metadata)
        # A new functional model over the same layers carries the asset; `model` stays as it was.
        exported = keras.Model(model.inputs, model.outputs, name=model.name)
        exported.hubmodels_metadata = tf.saved_model.Asset(str(file))
        signatures = serving.serving_signatures(exported, written)
        exported.compile()  # spares tf-keras' warning about the metrics of an uncompiled model
        exported.save(str(folder), save_format="tf", include_optimizer=False, signatures=signatures)

    return atomic.write_folder(Path(path), write, overwrite)


def load_model(path):
    """A tf-keras model from an export of `save_model`, with its task's attributes restored
    (image models: class_names, multi_label, image_size). It is not compiled."""
    path = Path(path)
    found = metadata.read(path)
    card.import_packages(found.get("requires", []), f"the export {path}")
    try:
        with keras.src.saving.serialization_lib.SafeModeScope(True):
            model = keras.models.load_model(str(path), compile=False)
    except (OSError, ValueError, tf.errors.OpError) as err:
        raise ModuleFormatError(
            f"cannot load the export {path} as a tf-keras model: {backends.first_line(err)}"
        ) from err
    model.task = found["task"]
    tasks.get(found["task"]).restore_metadata(model, found)
    return model


def refuse_session_modules(model, into="a SavedModel") -> None:
    """Refuses modules run in a TF1 session: their graph lives outside TensorFlow's, so
    `into` (what the model is written as) cannot contain it."""
    for layer in model.submodules:
        module = getattr(layer, "module", None)
        if module is not None and module.runs_in_session:
            raise ModuleFormatError(
                f"cannot export model {model.name!r}: its layer {layer.name!r} runs module "
                f"{module.handle} in a TF1 graph session (TF2 could not load it), "
                f"which {into} cannot contain"
            )


def _required_packages(model) -> list:
    """Packages whose ops the model's modules use (their cards' `requires`)."""
    names = set()
    for layer in model.submodules:
        if is_module_layer(layer):
            names.update(layer.required_packages)
    return sorted(names)
