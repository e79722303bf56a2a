"""`hubmodels train --task T`, `hubmodels predict` and each task's own commands (e.g. classify).

Every task package (hubmodels.tasks) adds its training options and runs its training;
`predict` reads the task from the export's metadata and lets that task print predictions.
"""

from pathlib import Path

from hubmodels import tasks
from hubmodels.cli.arguments import fraction, positive_float, positive_int
from hubmodels.errors import InputError
from hubmodels.litert import cli as litert


def _train(args) -> None:
    out = Path(args.out)
    occupied = any(out.iterdir()) if out.is_dir() else out.exists()
    if occupied and not args.overwrite:
        raise InputError(f"{out} exists; choose another --out or pass --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)  # fails now rather than after training
    args.unfreeze = unfreeze_arg(args.unfreeze)
    if args.strategy is None:
        tasks.get(args.task).train(args)
        return
    from hubmodels.training import strategy

    # made first: "multiworker" must exist before TensorFlow runs anything else
    args.strategy = strategy.resolve(args.strategy)
    args.batch_size = strategy.global_batch_size(args.batch_size, args.strategy)
    with args.strategy.scope():  # the task's factory builds the model's variables in it
        tasks.get(args.task).train(args)


def _predict(args) -> None:
    if litert.uses_litert(args.model, args.runtime):
        model = litert.litert_predictor(args.model, args.threads)
        if model.task is None:
            raise InputError(
                f"{args.model} has no hubmodels metadata saying its task, and its inputs are "
                "not images [batch, height, width, 3]: run it with LiteRT directly"
            )
    else:
        model = _load_export(Path(args.model))
    task = tasks.get(model.task)
    if not hasattr(task, "predict"):
        raise InputError(f"{args.model} is a {model.task} model: `hubmodels predict` has none")
    task.predict(model, args)


def _load_export(path: Path):
    """An export loaded by its task's own loader (`load_export`, e.g. detectors), else as a
    tf-keras model (hubmodels.load_model)."""
    from hubmodels.export import load_model, metadata

    task = tasks.get(metadata.read(path)["task"])
    return task.load_export(path) if hasattr(task, "load_export") else load_model(path)


def add_commands(commands) -> None:
    train = commands.add_parser("train", help="train a task model on your data and export it")
    train.add_argument(
        "--task", choices=tasks.providing("train"), default="image", help="default: image"
    )
    train.add_argument("--module", required=True, help="the module to build on")
    train.add_argument("--data", required=True, help="the training data (see the task)")
    train.add_argument("--out", required=True, help="folder for the exported model")
    train.add_argument(
        "--unfreeze",
        default="none",
        help="none, all, N (last N blocks) or scopes/regexes, comma-separated",
    )
    train.add_argument("--epochs", type=positive_int, default=5)
    train.add_argument(
        "--batch-size", type=positive_int, default=32, help="per replica with --strategy"
    )
    train.add_argument("--learning-rate", type=positive_float, default=1e-3)
    train.add_argument("--module-learning-rate", type=positive_float)
    train.add_argument("--validation-split", type=fraction, default=0.2)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--overwrite", action="store_true")
    train.add_argument("--json", action="store_true")
    train.add_argument(
        "--strategy",
        choices=("mirrored", "multiworker", "tpu"),  # hubmodels.training.strategy.NAMES
        help="tf.distribute: local GPUs; the TF_CONFIG cluster (same command on every "
        "worker, the chief exports); a TPU VM",
    )
    for name in tasks.providing("add_train_arguments"):
        tasks.get(name).add_train_arguments(train.add_argument_group(f"--task {name}"))
    train.set_defaults(run=_train)

    predict = commands.add_parser("predict", help="predict with an exported model")
    predict.add_argument(
        "--model", required=True, help="a folder written by train, or a .tflite file"
    )
    predict.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="inputs: image files; text files with one text per line, - for stdin",
    )
    predict.add_argument("--top", type=positive_int, default=5)
    predict.add_argument("--json", action="store_true")
    litert.add_runtime_arguments(predict)
    predict.set_defaults(run=_predict)

    for name in tasks.providing("add_commands"):
        tasks.get(name).add_commands(commands)


def unfreeze_arg(text):
    """ "none" | "all" | N (last N blocks) | comma-separated scopes or regexes."""
    if text is None or text == "none":
        return None
    if text == "all":
        return True
    if text.isdigit():
        return int(text)
    return [part.strip() for part in text.split(",") if part.strip()]
