"""What `hubmodels train` does once a task has its data and model: fit with a resumable backup,
export, and print a summary (JSON with --json)."""

import json
import shutil
from pathlib import Path


def fit_and_export(model, data, args, examples: str, extra=None, **export_options) -> None:
    """Trains `model` on data.train / data.validation, exports it to args.out, prints a summary.

    args: the parsed `train` options (epochs, learning_rate, module_learning_rate, out,
      overwrite, json). examples: what the data holds ("images", "texts"), for the summary.
    extra: more summary entries. export_options: for hubmodels.save_model (e.g. fast_jpeg).
    A backup beside args.out lets a rerun resume an interrupted fit; it goes once exported.
    args.strategy: a tf.distribute.Strategy the model was built under, or None. Only the
    chief writes args.out and the backup; other workers write to temporary folders.
    """
    import hubmodels
    from hubmodels.training.strategy import is_chief, write_path

    out = Path(args.out)
    backup = out.parent / f".{out.name}.training-backup"
    strategy = getattr(args, "strategy", None)
    history = hubmodels.fit(
        model,
        data.train,
        data.validation,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        module_learning_rate=args.module_learning_rate,
        checkpoint_dir=backup,
        verbose=1 if not args.json else 0,
        strategy=strategy,
    )
    with write_path(out, strategy) as path:  # every worker saves: it is collective
        hubmodels.save_model(model, path, overwrite=args.overwrite, **export_options)
    if not is_chief(strategy):
        return
    shutil.rmtree(backup, ignore_errors=True)
    final = {k: round(float(v[-1]), 4) for k, v in history.history.items()}
    summary = {
        "model": str(out),
        "classes": data.class_names,
        f"train_{examples}": data.num_train,
        f"validation_{examples}": data.num_validation,
        **(extra or {}),
        "final_metrics": final,
    }
    print(
        json.dumps(summary, indent=2)
        if args.json
        else f"Saved {out} ({data.num_classes} classes, {data.num_train} training {examples}); "
        + ", ".join(f"{k} {v}" for k, v in final.items())
    )
