"""The one door to Keras: tf-keras (Keras 2), chosen before TensorFlow loads.

Every module of hubmodels imports `tf` and `keras` from here. TensorFlow 2.21
installs Keras 3 as `keras`; `hub.KerasLayer` and our models need tf-keras, so
`TF_USE_LEGACY_KERAS=1` is set before the first TensorFlow import.

TensorFlow's C++ logs: `TF_CPP_MIN_LOG_LEVEL` defaults to 2 (errors only). TensorFlow's
libraries log a few lines while they load, before the level applies (absl's "All log
messages before absl::InitializeLog() ..." and cudart_stub's "Could not find cuda
drivers"); with `TF_CPP_MIN_LOG_LEVEL=3` (what the `hubmodels` command sets unless -v)
those are silenced too, by pointing file descriptor 2 elsewhere during the import. If the
import fails, what TensorFlow wrote is printed after all.
"""

import contextlib
import os
import sys
import tempfile

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def native_stderr_held(hold=None):
    """Sends what native code writes to stderr into a file while the block runs; shows it
    only if the block raises. hold=False: nothing changes; None: hold when
    TF_CPP_MIN_LOG_LEVEL is 3 (the command line without -v)."""
    if hold is None:
        hold = os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "3"
    if not hold:
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as held:
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            os.write(2, held.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


with native_stderr_held():
    import tensorflow as tf
    import tf_keras as keras

__all__ = ["keras", "tf"]
