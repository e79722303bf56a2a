"""The search behind `hubmodels tune`: image data from a folder or CSV, a keras-tuner search
over FeatureVectorHyperModel, the trial table, and the best model exported.

    result = run_search(["hubmodels://efficientnet_lite0/feature_vector"], "photos/",
                        "runs/photos", trials=10)
    result.best_model       # runs/photos/best_model, a hubmodels export

Everything lives under `out`: the keras-tuner project (`out/search`: one folder per trial
with its hyperparameters, score and checkpoint), the cached features of frozen trials
(`out/features`), the settings (`out/search_settings.json`) and the best model
(`out/best_model`). Running again with the same `out` resumes: finished trials are kept,
an interrupted one is run again, and the search goes on up to `trials`.

Distributed: run the same search in several processes that share `out`, with keras-tuner's
variables KERASTUNER_TUNER_ID ("chief" for one process, a distinct name such as "tuner0" for
each worker), KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT (where the chief listens).
The chief hands out trials and, once all are done, prints the table and exports the best
model; workers run trials. Each trial may itself train under a tf.distribute strategy on the
local devices of its process (`strategy="mirrored"` or `"tpu"`).
"""

import contextlib
import dataclasses
import gc
import hashlib
import json
import logging
import os
from pathlib import Path

from hubmodels._keras import tf
from hubmodels.data import from_csv, from_folder
from hubmodels.errors import HubModelsError, InputError
from hubmodels.export import save_model
from hubmodels.tasks.image.hypermodel import FeatureVectorHyperModel, module_facts
from hubmodels.training.strategy import resolve
from hubmodels.tuning.backend import import_keras_tuner
from hubmodels.tuning.features import FeatureCache

kt = import_keras_tuner()

TUNERS = ("random", "bayesian", "hyperband")
PROJECT = "search"
SETTINGS_FILE = "search_settings.json"
BEST_MODEL = "best_model"
_COLUMNS = (
    "module",
    "unfreeze",
    "augmentation",
    "head_units",
    "dropout",
    "learning_rate",
    "module_learning_rate",
)


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """tuner: the keras-tuner tuner; rows: one dict per trial (trial, status, score and
    hyperparameters), in trial order; best_model: the export's folder (None on a worker)."""

    tuner: object
    rows: list
    best_model: Path | None


def run_search(
    modules,
    data,
    out,
    trials,
    *,
    tuner="random",
    epochs=5,
    batch_size=32,
    validation_split=0.2,
    seed=0,
    image_size=None,
    label_separator=None,
    objective="val_accuracy",
    space=None,
    verbose=2,
    strategy=None,
) -> SearchResult:
    """Searches over `modules` (handles) on the images of `data` (folder or .csv file).

    trials: how many trials in all (resumed searches count the finished ones).
    tuner: "random", "bayesian" or "hyperband" (which trains up to `epochs` per trial).
    image_size: (height, width) the data is decoded at; default the largest image size that
      the modules declare (each trial resizes to its module's size).
    label_separator: for a CSV with several labels per image (see hubmodels.data.from_csv).
    space: keyword arguments of FeatureVectorHyperModel that narrow or fix the search space,
      e.g. {"unfreeze": 0, "learning_rate": Range(1e-3, 1e-2, log=True)}.
    verbose: 0 silent; 1 keras-tuner's trial summaries and progress bars; 2 the same with one
      line per epoch instead of progress bars.
    strategy: each trial builds and trains under it: "mirrored", "tpu", a
      tf.distribute.Strategy or None. Not "multiworker": the search spreads trials over
      processes itself.
    """
    out = Path(out)
    handles = [modules] if isinstance(modules, str) else list(modules)
    if tuner not in TUNERS:
        raise InputError(f"tuner must be one of {', '.join(TUNERS)}, got {tuner!r}")
    if int(trials) < 1:
        raise InputError(f"trials must be at least 1, got {trials}")
    if objective.startswith("val_") and not validation_split:
        raise InputError(f"objective {objective} needs validation data: validation_split > 0")
    if strategy == "multiworker":
        raise InputError(
            'strategy "multiworker" does not apply to a search: it spreads trials over '
            "processes itself (KERASTUNER_TUNER_ID, see run_search); each trial may use its "
            'process\'s devices with strategy "mirrored" or "tpu"'
        )
    strategy = resolve(strategy)
    size = _data_size(handles, image_size)
    images = _load_images(data, size, batch_size, validation_split, seed, label_separator)
    cache = FeatureCache(out / "features")
    data_name = _data_name(data, images, size)
    cache.name(images.train, f"{data_name}/train")
    if images.validation is not None:
        cache.name(images.validation, f"{data_name}/validation")
    hypermodel = FeatureVectorHyperModel(
        handles,
        images.num_classes,
        multi_label=images.multi_label,
        class_names=images.class_names,
        image_size=image_size,
        feature_cache=cache,
        **(space or {}),
    )
    _check_settings(
        out,
        {
            "modules": handles,
            "data": str(Path(data).resolve()),
            "image_size": list(size),
            "label_separator": label_separator,
            "validation_split": validation_split,
            "seed": seed,
            "batch_size": batch_size,
            "tuner": tuner,
            "epochs": epochs,
            "objective": objective,
            "space": {name: repr(d.spec) for name, d in hypermodel.dimensions.items()},
        },
    )
    search = _tuner(tuner, hypermodel, objective, int(trials), epochs, seed, out, strategy)
    trials_before = {} if _is_worker() else search.oracle.trials
    finished = [t for t in trials_before.values() if t.status == "COMPLETED"]
    if finished and verbose:
        print(f"Resuming the search in {out}: {len(finished)} trial(s) finished, kept.")
    try:
        search.search(
            images.train, validation_data=images.validation, epochs=epochs, verbose=verbose
        )
    except kt.errors.FatalError as err:
        raise HubModelsError(f"keras-tuner stopped the search: {_first_line(err)}") from err
    if _is_worker():
        if verbose:
            print(f"Worker {os.environ['KERASTUNER_TUNER_ID']}: the chief has no more trials.")
        return SearchResult(search, [], None)
    rows = trial_rows(search)
    if verbose:
        print(trial_table(rows, search.oracle.objective))
    trial = _best_trial(search)
    best = _export_best(search, trial, out / BEST_MODEL, size)
    if verbose:
        print(f"Best model (trial {trial.trial_id}) exported to {best}")
    return SearchResult(search, rows, best)


def trial_rows(search) -> list:
    """One dict per trial of `search`: trial, status, score, then its hyperparameter values."""
    rows = []
    for trial_id in sorted(search.oracle.trials):
        trial = search.oracle.trials[trial_id]
        row = {"trial": trial_id, "status": trial.status, "score": trial.score}
        row.update(trial.hyperparameters.values)
        rows.append(row)
    return rows


def trial_table(rows, objective) -> str:
    """The trials as an aligned text table; '*' marks the best score.

    objective: the oracle's keras_tuner.Objective (its name and direction).
    """
    scores = [row["score"] for row in rows if row["score"] is not None]
    pick = max if objective.direction == "max" else min
    best = pick(scores) if scores else None
    header = ("TRIAL", "STATUS", objective.name.upper(), *(c.upper() for c in _COLUMNS))
    table = [header]
    for row in rows:
        mark = "*" if best is not None and row["score"] == best else ""
        table.append(
            (
                row["trial"] + mark,
                row["status"],
                _cell(row["score"]),
                *(_cell(row.get(column)) for column in _COLUMNS),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table
    )


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _data_size(handles, image_size) -> tuple:
    if image_size is not None:
        return tuple(int(d) for d in image_size)
    sizes = [module_facts(handle)[0] for handle in handles]
    declared = [size for size in sizes if size is not None]
    if not declared:
        raise InputError(
            f"modules {', '.join(handles)} accept images of any size: give the image size "
            "to decode the data at (--image-size HEIGHT WIDTH)"
        )
    return max(declared, key=lambda size: (size[0] * size[1], size))


def _load_images(data, size, batch_size, validation_split, seed, label_separator):
    path = Path(data)
    common = dict(batch_size=batch_size, validation_split=validation_split, seed=seed)
    if path.is_dir():
        if label_separator is not None:
            raise InputError("label_separator is for CSV files; an image folder has one label")
        return from_folder(path, size, **common)
    if path.suffix.lower() == ".csv" and path.is_file():
        return from_csv(path, size, label_separator=label_separator, **common)
    raise InputError(
        f"data {path} is neither an image folder (one subfolder per class) nor a .csv file"
    )


def _data_name(data, images, size) -> str:
    """Identifies the data's content: its files (paths, sizes, times), labels source and size."""
    digest = hashlib.sha256(repr((list(size), images.class_names, images.multi_label)).encode())
    path = Path(data)
    if path.is_file():
        digest.update(path.read_bytes())
    for name in (*images.train_files, "|", *images.validation_files):
        digest.update(name.encode())
        if name != "|":
            stat = os.stat(name)
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def _check_settings(out: Path, settings: dict) -> None:
    """Records the search's settings in `out`; refuses to resume a search with other ones."""
    file = out / SETTINGS_FILE
    text = json.dumps(settings, indent=2, sort_keys=True)
    if file.is_file():
        previous = json.loads(file.read_text(encoding="utf-8"))
        keys = set(previous) | set(settings)
        changed = sorted(k for k in keys if previous.get(k) != settings.get(k))
        if changed:
            raise InputError(
                f"{out} holds a search with other settings ({', '.join(changed)} differ): "
                "use another output folder, or delete it to start over"
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    temporary = file.with_name(f".{file.name}.{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, file)


def _tuner(kind, hypermodel, objective, trials, epochs, seed, out, strategy):
    common = dict(
        objective=objective,
        seed=seed,
        directory=str(out),
        project_name=PROJECT,
        distribution_strategy=strategy,  # keras-tuner builds and fits each trial in its scope
    )
    if kind == "random":
        return kt.RandomSearch(hypermodel, max_trials=trials, **common)
    if kind == "bayesian":
        return kt.BayesianOptimization(hypermodel, max_trials=trials, **common)
    search = kt.Hyperband(hypermodel, max_epochs=epochs, **common)
    search.oracle.max_trials = trials  # Hyperband has no max_trials argument; the oracle obeys it
    return search


def _is_worker() -> bool:
    """Whether this process is a worker of a distributed search, by keras-tuner's variables."""
    return "KERASTUNER_ORACLE_IP" in os.environ and "chief" not in os.environ.get(
        "KERASTUNER_TUNER_ID", ""
    )


def _best_trial(search):
    best = search.oracle.get_best_trials(1)
    if not best:
        failed = [t for t in search.oracle.trials.values() if t.message]
        reason = f": {_first_line(failed[-1].message, last=True)}" if failed else ""
        raise HubModelsError(f"no trial of the search finished{reason}")
    return best[0]


def _export_best(search, trial, path: Path, size) -> Path:
    with _quiet_tensorflow():
        model = search.load_model(trial)
        exported = save_model(model, path, overwrite=True, image_size=size)
        del model
        gc.collect()  # the restore's warnings about optimizer slots come out here, silenced
    return exported


@contextlib.contextmanager
def _quiet_tensorflow():
    """Silences TensorFlow's Python warnings (not errors) inside the block."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _first_line(error, last=False) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return lines[-1] if last else lines[0]
