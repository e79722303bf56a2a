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
    """
    import hubmodels

    out = Path(args.out)
    backup = out.parent / f".{out.name}.training-backup"
    history = hubmodels.fit(
        model,
        data.train,
        data.validation,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        module_learning_rate=args.module_learning_rate,
        checkpoint_dir=backup,
        verbose=1 if not args.json else 0,
    )
    hubmodels.save_model(model, out, overwrite=args.overwrite, **export_options)
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
