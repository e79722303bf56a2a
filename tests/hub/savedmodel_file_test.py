"""Reading SavedModel files: remote folders through tf.io.gfile (TensorFlow's ram://
filesystem stands in for gs://), and placeholders that contradict their SignatureDef."""

import numpy as np
import pytest

from hubmodels import Module
from hubmodels._keras import tf
from hubmodels.hub import handles, inspection, savedmodel_file
from tests.saved_models import write_old_tf1_savedmodel

v1 = tf.compat.v1
SERVING = "saved_model_half_plus_two_cpu/00000123"


@pytest.fixture
def ram(tmp_path, monkeypatch):
    """copy(local folder) -> its copy on ram://, a path that handles.resolve passes through."""
    root = f"ram://savedmodel_file_test{tmp_path}"
    local_resolve = handles.resolve
    monkeypatch.setattr(
        handles, "resolve", lambda h: h if str(h).startswith("ram://") else local_resolve(h)
    )

    def copy(source):
        source = str(source)
        for folder, _, files in tf.io.gfile.walk(source):
            target = root + folder[len(source) :]
            tf.io.gfile.makedirs(target)
            for name in files:
                tf.io.gfile.copy(f"{folder}/{name}", f"{target}/{name}")
        return root

    yield copy
    tf.io.gfile.rmtree(root)


def test_reads_and_runs_a_tf1_hub_module_in_place(real_fixtures, ram, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path / "home"))
    path = ram(handles.resolve(str(real_fixtures / "half_plus_two_v1.tar.gz")))
    info = savedmodel_file.read(path)
    assert info.path == path and info.format == "TF1 Hub module"
    assert [(v.name, v.shape) for v in info.variables] == [("a", ()), ("b", ())]
    module = Module(path)
    np.testing.assert_allclose(module(np.array([0.0, 2.0])), [2.0, 3.0])
    assert inspection.describe(path)["variables"] == {"count": 2, "bytes": 8}


@pytest.mark.parametrize("kind", ["tf1_savedmodel", "tf1_session", "tf2_savedmodel"])
def test_runs_savedmodels_in_place(real_fixtures, ram, tmp_path, kind, reusable_savedmodel):
    if kind == "tf1_savedmodel":  # the real serving model: y = 0.5x + 2
        local, x, y = real_fixtures / SERVING, [[2.0]], [[3.0]]
    elif kind == "tf1_session":  # TF2 refuses it: y = x @ [[1], [2]]
        local = write_old_tf1_savedmodel(tmp_path / "old", bad_signature="missing_output")
        x, y = [[1.0, 1.0]], [[3.0]]
    else:  # images @ range(8).reshape(4, 2) / 10
        local, x, y = reusable_savedmodel, np.ones((1, 4), np.float32), [[1.2, 1.6]]
    path = ram(local)
    assert savedmodel_file.read(path).format == (
        "TF2 SavedModel" if "tf2" in kind else "TF1 SavedModel"
    )
    module = Module(path)
    assert (module.load_error is not None) == (kind == "tf1_session")
    np.testing.assert_allclose(module(x), y, rtol=1e-6)


def test_placeholder_contradicting_its_signature_def(tmp_path, capsys):
    """x is a float32 [?, 1] placeholder whose SignatureDef says int32 (): TF2 feeds the
    placeholder (so it loads), and the infos, inspect and input checks follow the graph."""
    path = str(tmp_path / "model")
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 1], name="x")
        y = tf.identity(2.0 * x, name="y")
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        signature.inputs["x"].tensor_shape.Clear()
        signature.inputs["x"].dtype = tf.int32.as_datatype_enum
        with v1.Session(graph=graph) as session:
            builder = v1.saved_model.Builder(path)
            builder.add_meta_graph_and_variables(
                session, ["serve"], signature_def_map={"serving_default": signature}
            )
            builder.save()
    note = "SignatureDef declares dtype int32; SignatureDef declares shape ()"
    described = savedmodel_file.read(path).meta_graph().signatures["serving_default"]
    x_info = described.inputs["x"]
    assert (x_info.shape.as_list(), x_info.dtype, x_info.note) == ([None, 1], tf.float32, note)
    assert described.outputs["y"].note == ""
    text = inspection.render_text(inspection.describe(path))
    assert (
        f"x: <hub.ParsedTensorInfo shape=(?, 1) dtype=float32 is_sparse=False note={note!r}>"
        in text
    )
    assert inspection.to_json(inspection.describe(path))["meta_graphs"][0]["signatures"][
        "serving_default"
    ]["inputs"]["x"] == {"shape": [None, 1], "dtype": "float32", "is_sparse": False, "note": note}
    module = Module(path)
    assert module.load_error is None
    np.testing.assert_allclose(module([[2.0]]), [[4.0]])
