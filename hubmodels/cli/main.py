"""The `hubmodels` command. An error the user can cause prints one line and exits with 1.

    hubmodels [-v] COMMAND ...

Such errors are hubmodels' own (HubModelsError), files that cannot be read or written
(OSError) and TensorFlow's errors while it runs on the user's data (tf.errors.OpError):
`hubmodels: error: ...`, without traceback unless -v. Anything else is a bug of ours and
keeps its traceback. -v also shows TensorFlow's logs (see hubmodels.cli.logs).
"""

import argparse
import re
import sys
import traceback

from hubmodels.cli import inspect, logs, quickstart, tasks, tune, zoo
from hubmodels.errors import HubModelsError
from hubmodels.litert import cli as litert

COMMAND_GROUPS = (inspect, zoo, tasks, tune, litert, quickstart)
# Lines of a TensorFlow error message around its reason (graph errors carry a stack).
_NOT_THE_REASON = re.compile(r"Graph execution error:|Detected at node |\d+ root error|\s")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="hubmodels",
        description="TensorFlow Hub modules as tf-keras models.",
        allow_abbrev=False,  # -v is read before the parser exists (see _verbose)
    )
    main.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show TensorFlow's logs and warnings, and tracebacks of errors",
    )
    commands = main.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    return main


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logs.set_tensorflow_log_level(_verbose(argv))  # before a command's module can load TF
    args = parser().parse_args(argv)
    try:
        with logs.command_logging(args.verbose):
            args.run(args)
    except KeyboardInterrupt:
        print("hubmodels: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        message = user_error(err)
        if message is None:
            raise
        if args.verbose:
            traceback.print_exc()
        print(f"hubmodels: error: {message}", file=sys.stderr)
        return 1
    return 0


def _verbose(argv) -> bool:
    """Whether -v/--verbose comes among the options before the command."""
    for arg in argv:
        if arg in ("-v", "--verbose"):
            return True
        if not arg.startswith("-"):
            return False
    return False


def user_error(err: Exception) -> str | None:
    """The one-line message of an error the user can cause; None for anything else."""
    if isinstance(err, HubModelsError):
        return " ".join(str(err).split())
    if isinstance(err, OSError):
        return f"{err.filename}: {err.strerror}" if err.filename and err.strerror else str(err)
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(err, tf.errors.OpError):
        return (
            f"TensorFlow failed ({type(err).__name__}): {tensorflow_reason(err)} "
            "(hubmodels -v shows where)"
        )
    return None


def tensorflow_reason(err) -> str:
    """The line of a TensorFlow error that says what went wrong, without decorations.

    "{{function_node __wrapped__X...}} Reason [Op:X] name: " -> "Reason"; a graph's error
    ("Graph execution error:", "Detected at node ...", the lines of the stack) -> its reason
    line; "assertion failed: [Reason]" (tf.debugging.Assert, as in data pipelines) -> "Reason".
    """
    for line in (getattr(err, "message", None) or str(err)).splitlines():
        root = re.match(r"\s*\(\d+\) [A-Z_]+: (.*)", line)  # "  (0) INVALID_ARGUMENT: Reason"
        if root:
            line = root.group(1)
        elif not line.strip() or _NOT_THE_REASON.match(line):
            continue
        line = re.sub(r"\{\{function_node [^}]*\}\}", "", line)
        line = re.sub(r"\[Op:[^\]]*\].*", "", line).strip()
        asserted = re.fullmatch(r"assertion failed: \[(.*)\]", line)
        if line:
            return asserted.group(1) if asserted else line
    return type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
