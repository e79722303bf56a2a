"""What the `hubmodels` command prints besides its output: TensorFlow's logs only with -v.

Without -v: TensorFlow's C++ logs are off (TF_CPP_MIN_LOG_LEVEL=3, and hubmodels._keras
holds back the lines its libraries write while they load); the Python warnings and log
records of TensorFlow, Keras, absl and keras-tuner are dropped below ERROR. Warnings of
hubmodels itself (e.g. skipped image files) print as `hubmodels: warning: ...` lines.
With -v: TensorFlow logs as it does by default (or as TF_CPP_MIN_LOG_LEVEL says).
"""

import contextlib
import logging
import os
import sys
import warnings

LIBRARIES = ("tensorflow", "tf_keras", "keras", "tensorflow_hub", "keras_tuner", "absl")


def set_tensorflow_log_level(verbose: bool) -> None:
    """Chooses TensorFlow's C++ log level; works only before TensorFlow loads (it reads the
    environment then), so a process that already imported it keeps its own level."""
    if "tensorflow" in sys.modules:
        return
    if verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
    else:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"


@contextlib.contextmanager
def command_logging(verbose: bool):
    """While a command runs: our log records as one-line `hubmodels: warning: ...` messages;
    without verbose, Python warnings too, and the libraries' ones dropped. Restores all after."""
    ours = logging.getLogger("hubmodels")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    saved = {name: logging.getLogger(name).level for name in LIBRARIES}
    with warnings.catch_warnings():
        if not verbose:
            warnings.showwarning = _show_warning
            for name in LIBRARIES:
                warnings.filterwarnings("ignore", module=rf"{name}(\.|$)")
                logging.getLogger(name).setLevel(logging.ERROR)
        ours.addHandler(handler)
        try:
            yield
        finally:
            ours.removeHandler(handler)
            for name, level in saved.items():
                logging.getLogger(name).setLevel(level)


class _OneLine(logging.Formatter):
    def format(self, record) -> str:
        return f"hubmodels: {record.levelname.lower()}: {_one_line(record.getMessage())}"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"hubmodels: warning: {_one_line(str(message))}", file=file or sys.stderr)


def _one_line(text: str) -> str:
    return " ".join(text.split())
