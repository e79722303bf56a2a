"""What the command lets through to stderr: our warnings as one line each, the libraries' not
(unless -v); and what TensorFlow's libraries write while they load, held back."""

import logging
import os
import warnings

import pytest

from hubmodels._keras import native_stderr_held
from hubmodels.cli import logs


def _warn_from(module, text):
    warnings.warn_explicit(text, UserWarning, f"{module}.py", 1, module=module)


def test_quiet_commands_show_our_warnings_as_one_line_and_drop_the_libraries(capsys, caplog):
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    with logs.command_logging(verbose=False):
        _warn_from("tensorflow.python.framework", "a library's warning")
        _warn_from("hubmodels.data.images", "photos: skipped 1 image file(s):\n  a.png (empty)")
        logging.getLogger("hubmodels.hub.module").warning("module %s: one\nline", "m")
        tf_logger.warning("a library's log record")
        tf_logger.error("a library's error")
    assert capsys.readouterr().err.splitlines() == [
        "hubmodels: warning: photos: skipped 1 image file(s): a.png (empty)",
        "hubmodels: warning: module m: one line",
    ]
    assert [r.getMessage() for r in caplog.records if r.name == "tensorflow"] == [
        "a library's error"
    ]
    assert tf_logger.level == level
    assert not logging.getLogger("hubmodels").handlers


def test_verbose_commands_keep_the_libraries_warnings():
    with logs.command_logging(verbose=True), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _warn_from("tensorflow.python.framework", "a library's warning")
    assert [str(w.message) for w in caught] == ["a library's warning"]


def test_what_libraries_write_while_loading_shows_only_when_loading_fails(capfd):
    with native_stderr_held(True):
        os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers\n")
    assert capfd.readouterr().err == ""
    with pytest.raises(ImportError), native_stderr_held(True):
        os.write(2, b"F0000 the reason the library did not load\n")
        raise ImportError("no such library")
    assert capfd.readouterr().err == "F0000 the reason the library did not load\n"
    with native_stderr_held(False):
        os.write(2, b"I0000 shown\n")
    assert capfd.readouterr().err == "I0000 shown\n"
