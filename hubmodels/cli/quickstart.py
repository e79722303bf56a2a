"""`hubmodels quickstart [TASK]`: each task's offline step on real data, with its numbers."""

from hubmodels import tasks
from hubmodels.cli.arguments import positive_int


def run(args) -> None:
    from hubmodels._keras import keras

    for name in [args.task] if args.task else tasks.names():
        keras.utils.set_random_seed(0)  # the same run, the same numbers
        tasks.get(name).quickstart(args)


def add_commands(commands) -> None:
    parser = commands.add_parser(
        "quickstart", help="each task on real data, offline: train, measure, export"
    )
    parser.add_argument("task", nargs="?", choices=tasks.names(), help="one task (default: all)")
    parser.add_argument(
        "--examples", type=positive_int, help="training examples per task (smaller: faster)"
    )
    parser.add_argument("--epochs", type=positive_int, help="training epochs per task")
    parser.set_defaults(run=run)
