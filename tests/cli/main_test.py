"""The hubmodels command: inspect prints the fixtures' signatures; errors are one line."""

import json
import socket
import subprocess
import sys

import pytest

from hubmodels import cli
from hubmodels._keras import tf
from hubmodels.cli.main import tensorflow_reason
from tests.cli.command import run_hubmodels


def test_inspect_half_plus_two_archive(real_fixtures, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path))
    assert cli.main(["inspect", str(real_fixtures / "half_plus_two_v1.tar.gz")]) == 0
    out = capsys.readouterr().out
    assert "Format: TF1 Hub module" in out
    assert "Variables: 2 (8 B)" in out
    assert "default: <hub.ParsedTensorInfo shape=<unknown> dtype=float32 is_sparse=False>" in out


def test_inspect_serving_model_lists_five_signatures(real_fixtures, capsys):
    folder = real_fixtures / "saved_model_half_plus_two_cpu" / "00000123"
    assert cli.main(["inspect", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "TF1 SavedModel" and report["tag_sets"] == [["serve"]]
    signatures = report["meta_graphs"][0]["signatures"]
    assert sorted(signatures) == [
        "classify_x_to_y",
        "regress_x2_to_y3",
        "regress_x_to_y",
        "regress_x_to_y2",
        "serving_default",
    ]
    assert signatures["serving_default"]["inputs"]["x"] == {
        "shape": [None, 1],
        "dtype": "float32",
        "is_sparse": False,
    }
    assert signatures["classify_x_to_y"]["outputs"]["scores"]["shape"] == [None, 1]
    assert report["variables"]["count"] == 5


def test_inspect_one_signature(real_fixtures, capsys):
    folder = real_fixtures / "saved_model_half_plus_two_cpu" / "00000123"
    assert cli.main(["inspect", str(folder), "--signature", "regress_x2_to_y3"]) == 0
    out = capsys.readouterr().out
    assert "regress_x2_to_y3" in out and "serving_default\n" not in out


def test_inspect_reusable_savedmodel_shows_call(reusable_savedmodel, capsys):
    assert cli.main(["inspect", str(reusable_savedmodel)]) == 0
    out = capsys.readouterr().out
    assert "Format: TF2 SavedModel" in out
    assert "images: <hub.ParsedTensorInfo shape=(?, 4) dtype=float32 is_sparse=False>" in out


@pytest.fixture
def refused_proxy():
    """An https proxy on 127.0.0.1 that refuses connections: no download leaves the machine."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(
    "args, message",
    [
        (["inspect", "/no/such/module"], "no module at '/no/such/module'"),
        (["inspect", "https://tfhub.dev/google/x/1"], "tfhub.dev is unreachable"),
    ],
)
def test_errors_are_one_line_without_traceback(args, message, tmp_path, refused_proxy):
    result = run_hubmodels(*args, home=tmp_path, env={"https_proxy": refused_proxy})
    assert result.returncode == 1
    assert result.stderr.startswith("hubmodels: error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr


def test_unknown_signature_error(real_fixtures, capsys):
    folder = real_fixtures / "saved_model_half_plus_two_cpu" / "00000123"
    assert cli.main(["inspect", str(folder), "--signature", "nope"]) == 1
    assert "no signature 'nope'; available: ['classify_x_to_y'" in capsys.readouterr().err


def test_files_that_cannot_be_written_are_one_line(tiny_image_module, tmp_path, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file where the output folder's parent should be")
    args = ["--module", str(tiny_image_module), "--data", str(tmp_path)]
    assert cli.main(["train", *args, "--out", str(blocker / "model")]) == 1
    assert capsys.readouterr().err == f"hubmodels: error: {blocker}: File exists\n"


def test_tensorflow_reason_drops_the_decorations():
    with pytest.raises(tf.errors.InvalidArgumentError) as raised:
        tf.io.decode_png(b"\x89PNG not really")
    message = raised.value.message
    assert message.startswith("{{function_node ") and "[Op:DecodePng]" in message
    reason = tensorflow_reason(raised.value)
    assert reason and reason in message and "{{" not in reason and "[Op:" not in reason

    @tf.function
    def check(ok):
        tf.debugging.Assert(ok, ["cannot decode image file x.png: corrupt"])
        return ok

    with pytest.raises(tf.errors.InvalidArgumentError) as raised:
        check(tf.constant(False))
    assert tensorflow_reason(raised.value) == "cannot decode image file x.png: corrupt"


def test_building_the_parser_loads_no_tensorflow():
    """--help and usage errors stay fast, and the CLI sets TensorFlow's logging before it loads."""
    code = "import sys, hubmodels.cli; hubmodels.cli.parser(); print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout == "False\n", result.stderr
