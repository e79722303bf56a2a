"""The `hubmodels` command. Errors print as one line and exit with status 1."""

import argparse
import sys

from hubmodels.cli import inspect, quickstart, tasks, tune, zoo
from hubmodels.errors import HubModelsError

COMMAND_GROUPS = (inspect, zoo, tasks, tune, quickstart)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="hubmodels", description="TensorFlow Hub modules as tf-keras models."
    )
    commands = main.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    return main


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except HubModelsError as err:
        print(f"hubmodels: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hubmodels: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
