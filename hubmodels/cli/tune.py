"""`hubmodels tune`: a keras-tuner search over modules and heads, resumable, exporting the best.

    hubmodels tune --module hubmodels://efficientnet_lite0/feature_vector --module /models/b \\
        --data photos/ --trials 20 --out runs/photos

Registered in the `hubmodels` command by `add_commands`; TensorFlow loads only when the
command runs.
"""

import argparse
import sys

from hubmodels.cli.arguments import fraction, positive_float, positive_int

DISTRIBUTED = """\
distributed search (keras-tuner's chief/worker mode): run the same command, with the same
--out on storage they share, in one chief and any number of workers, each with
  KERASTUNER_TUNER_ID=chief (the chief) or a distinct name per worker (tuner0, tuner1, ...)
  KERASTUNER_ORACLE_IP=<the chief's address>  KERASTUNER_ORACLE_PORT=<a free port there>
The chief hands out trials, then prints the table and exports the best model.
Each trial may also train on its process's devices: --strategy mirrored (local GPUs) or tpu."""


def add_commands(subparsers) -> None:
    """Adds `tune` to the sub-commands of the `hubmodels` parser."""
    tune = subparsers.add_parser(
        "tune",
        help="hyperparameter search over modules and heads (keras-tuner)",
        description=(
            "Searches modules, fine-tuning depth, head, dropout, augmentation and learning\n"
            "rates; prints the trial table and exports the best model to OUT/best_model.\n"
            "Rerunning with the same --out resumes the search: finished trials are kept."
        ),
        epilog=DISTRIBUTED,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tune.add_argument(
        "--module",
        action="append",
        required=True,
        dest="modules",
        metavar="HANDLE",
        help="a module to try (repeat for several)",
    )
    tune.add_argument(
        "--data",
        required=True,
        metavar="DIR_OR_CSV",
        help="image folder with one subfolder per class, or CSV file with path,label columns",
    )
    tune.add_argument("--trials", type=positive_int, required=True, help="number of trials in all")
    tune.add_argument("--out", required=True, help="folder of the search and the best model")
    tune.add_argument("--tuner", choices=("random", "bayesian", "hyperband"), default="random")
    tune.add_argument("--epochs", type=positive_int, default=5, help="epochs per trial (default 5)")
    tune.add_argument("--batch-size", type=positive_int, default=32)
    tune.add_argument("--validation-split", type=fraction, default=0.2)
    tune.add_argument("--seed", type=int, default=0)
    tune.add_argument(
        "--image-size",
        type=positive_int,
        nargs=2,
        metavar=("HEIGHT", "WIDTH"),
        help="size to decode images at (default: the largest the modules declare)",
    )
    tune.add_argument(
        "--label-separator", help="CSV with several labels per image, separated by this"
    )
    tune.add_argument("--objective", default="val_accuracy")
    tune.add_argument(
        "--strategy",
        choices=("mirrored", "multiworker", "tpu"),  # hubmodels.training.strategy.NAMES
        help="each trial trains under it: mirrored (local GPUs) or tpu (multiworker: no, "
        "trials are spread over processes as below)",
    )
    space = tune.add_argument_group(
        "search space",
        "one value fixes a hyperparameter; several values are choices, except for the rates\n"
        "and dropout, where LOW HIGH gives a range",
    )
    space.add_argument(
        "--unfreeze",
        type=int,
        nargs="+",
        metavar="N",
        help="choices of how many last blocks of the module to fine-tune (default 0 1 2)",
    )
    space.add_argument(
        "--augmentation",
        nargs="+",
        metavar="NAME",
        help='choices among "none", "crop_color", "nas_svhn" or handles (default none crop_color)',
    )
    space.add_argument(
        "--head-units",
        type=int,
        nargs="+",
        metavar="UNITS",
        help="choices of the head's hidden width, 0 for none (default 0 256)",
    )
    space.add_argument(
        "--dropout",
        type=fraction,
        nargs="+",
        metavar="RATE",
        help="dropout, or LOW HIGH (default 0 0.5)",
    )
    space.add_argument(
        "--learning-rate",
        type=positive_float,
        nargs="+",
        metavar="RATE",
        help="head learning rate, or LOW HIGH on a log scale (default 1e-4 1e-2)",
    )
    space.add_argument(
        "--module-learning-rate",
        type=positive_float,
        nargs="+",
        metavar="RATE",
        help="learning rate of unfrozen module weights, or LOW HIGH (default 1e-5 1e-3)",
    )
    tune.set_defaults(run=run)


def run(args) -> None:
    """Runs `hubmodels tune` with the parsed `args`."""
    from hubmodels.tuning.search import run_search

    try:
        run_search(
            args.modules,
            args.data,
            args.out,
            args.trials,
            tuner=args.tuner,
            epochs=args.epochs,
            batch_size=args.batch_size,
            validation_split=args.validation_split,
            seed=args.seed,
            image_size=args.image_size,
            label_separator=args.label_separator,
            objective=args.objective,
            space=search_space(args),
            strategy=args.strategy,
        )
    except KeyboardInterrupt:
        print(f"Rerun the same command to resume the search in {args.out}.", file=sys.stderr)
        raise


def search_space(args) -> dict:
    """FeatureVectorHyperModel arguments from the command's search-space options."""
    from hubmodels.errors import InputError
    from hubmodels.tuning.space import Choice, Range

    space = {}
    for name in ("unfreeze", "augmentation", "head_units"):
        values = getattr(args, name)
        if values is not None:
            space[name] = Choice(*values)
    for name, log in (("dropout", False), ("learning_rate", True), ("module_learning_rate", True)):
        values = getattr(args, name)
        if values is None:
            continue
        if len(values) > 2:
            option = "--" + name.replace("_", "-")
            raise InputError(f"{option} takes one value or LOW HIGH, got {len(values)} values")
        space[name] = values[0] if len(values) == 1 else Range(*values, log=log)
    return space
