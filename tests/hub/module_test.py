"""hubmodels.Module on real fixtures, TF2 SavedModels and old TF1 models TF2 refuses."""

import shutil

import numpy as np
import pytest

from hubmodels import Module
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError, ModuleFormatError, SignatureError
from tests.saved_models import write_old_tf1_savedmodel

SERVING = "saved_model_half_plus_two_cpu/00000123"


@pytest.fixture
def half_plus_two(real_fixtures):
    return Module(str(real_fixtures / "half_plus_two_v1.tar.gz"))


def test_tf1_hub_module_infos_print_like_the_tutorial(half_plus_two):
    assert half_plus_two.get_signature_names() == ["default"]
    info = half_plus_two.get_input_info_dict()["default"]
    assert info.dtype == tf.float32 and info.shape.rank is None and not info.is_sparse
    assert repr(info) == "<hub.ParsedTensorInfo shape=<unknown> dtype=float32 is_sparse=False>"
    assert list(half_plus_two.get_output_info_dict()) == ["default"]


def test_tf1_hub_module_computes_half_plus_two(half_plus_two):
    np.testing.assert_allclose(half_plus_two(np.array([0.0, 2.0, -4.0])), [2.0, 3.0, 0.0])
    as_dict = half_plus_two({"default": [1.0]}, as_dict=True)
    np.testing.assert_allclose(as_dict["default"], [2.5])
    assert sorted(half_plus_two.variable_map) == ["a", "b"]
    assert half_plus_two.variable_map["a"].numpy() == pytest.approx(0.5)


def test_tf1_module_runs_inside_tf_function(half_plus_two):
    compiled = tf.function(lambda x: half_plus_two(x) * 2.0)
    np.testing.assert_allclose(compiled(tf.constant([2.0])), [6.0])


def test_trainable_false_exposes_no_trainable_variables(half_plus_two):
    assert half_plus_two.trainable_variables == []
    assert len(half_plus_two.variables) == 2


def test_tf1_module_fine_tunes_through_signatures(real_fixtures):
    module = Module(str(real_fixtures / "half_plus_two_v1.tar.gz"), trainable=True)
    assert sorted(v.name for v in module.trainable_variables) == ["a:0", "b:0"]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(module(tf.constant([1.0, 3.0])))
    grads = dict(
        zip(
            [v.name for v in module.trainable_variables],
            tape.gradient(loss, module.trainable_variables),
        )
    )
    assert grads["a:0"].numpy() == pytest.approx(4.0)  # d/da sum(a*x + b) = sum(x)
    assert grads["b:0"].numpy() == pytest.approx(2.0)


def test_tf1_savedmodel_with_five_signatures(real_fixtures):
    module = Module(str(real_fixtures / SERVING))
    assert module.get_signature_names() == [
        "classify_x_to_y",
        "regress_x2_to_y3",
        "regress_x_to_y",
        "regress_x_to_y2",
        "serving_default",
    ]
    assert module.get_input_info_dict("classify_x_to_y")["inputs"].dtype == tf.string
    y = module(np.array([[1.0], [3.0]], np.float32))  # serving_default: y = 0.5x + 2
    np.testing.assert_allclose(y, [[2.5], [3.5]])


def test_serialized_tf_example_input(real_fixtures):
    module = Module(str(real_fixtures / SERVING))
    example = tf.train.Example(
        features=tf.train.Features(
            feature={"x": tf.train.Feature(float_list=tf.train.FloatList(value=[4.0]))}
        )
    )
    outputs = module([example.SerializeToString()], signature="regress_x_to_y", as_dict=True)
    np.testing.assert_allclose(outputs["outputs"], [[4.0]])  # 0.5 * 4 + 2
    scores = module([example.SerializeToString()], signature="classify_x_to_y")
    np.testing.assert_allclose(scores, [[4.0]])


def test_keras_savedmodel_signatures_and_call(keras_savedmodel):
    module = Module(str(keras_savedmodel))
    assert "serving_default" in module.get_signature_names()
    assert module.get_input_info_dict()["x"].shape.as_list() == [None, 3]
    probs = module(np.ones((2, 3), np.float32))
    np.testing.assert_allclose(tf.reduce_sum(probs, axis=-1), [1.0, 1.0], rtol=1e-5)
    served = module({"x": np.ones((2, 3), np.float32)}, signature="serving_default", as_dict=True)
    np.testing.assert_allclose(served["probs"], probs, rtol=1e-6)


def test_reusable_savedmodel_call_is_the_default_signature(reusable_savedmodel):
    module = Module(str(reusable_savedmodel), trainable=True)
    assert module.get_signature_names() == ["default"]
    info = module.get_input_info_dict()
    assert list(info) == ["images"] and info["images"].shape.as_list() == [None, 4]
    x = np.ones((1, 4), np.float32)
    np.testing.assert_allclose(module(x), [[1.2, 1.6]], rtol=1e-6)
    np.testing.assert_allclose(module(x, training=True), [[2.4, 3.2]], rtol=1e-6)
    assert [v.shape.as_list() for v in module.trainable_variables] == [[4, 2]]


@pytest.mark.parametrize("bad", ["missing_output", "output_shape"])
def test_old_tf1_model_tf2_refuses_runs_in_a_session(tmp_path, bad):
    path = write_old_tf1_savedmodel(tmp_path / "old", bad_signature=bad)
    with pytest.raises((KeyError, ValueError)):  # what TF2's loader raises for these
        tf.saved_model.load(str(path), tags=["serve"])
    module = Module(str(path))
    assert module.load_error is not None
    assert module.get_signature_names() == ["bad", "count", "serving_default"]
    assert module.get_output_info_dict("count")["count"].dtype == tf.float32
    np.testing.assert_allclose(module(np.array([[1.0, 1.0]], np.float32)), [[3.0]])
    counts = [float(module([[0.0, 0.0]], signature="count")) for _ in range(3)]
    assert counts == [1.0, 2.0, 3.0]  # state lives on in the session
    in_graph = tf.function(lambda x: module(x, signature="serving_default"))
    np.testing.assert_allclose(in_graph(tf.constant([[2.0, 0.0]])), [[2.0]])
    if bad == "missing_output":
        with pytest.raises(SignatureError, match="no_such_tensor"):
            module([[1.0, 1.0]], signature="bad")
    else:  # declares y as (?, 7): the graph's (?, 1) is reported and runs
        info = module.get_output_info_dict("bad")["y"]
        assert info.shape.as_list() == [None, 1]
        assert info.note == "SignatureDef declares shape (?, 7)"
        np.testing.assert_allclose(module([[1.0, 1.0]], signature="bad"), [[3.0]])
    np.testing.assert_allclose(module([[0.0, 1.0]]), [[2.0]])  # still usable afterwards
    with pytest.raises(ModuleFormatError, match="cannot be fine-tuned"):
        Module(str(path), trainable=True)


def _declaring_scalars(real_fixtures, folder):
    """The real serving model with every float tensor of its SignatureDefs declared as a
    scalar `()`, as some exporters wrote them, while its graph computes [?, 1]."""
    from tensorflow.core.framework import types_pb2
    from tensorflow.core.protobuf import saved_model_pb2

    shutil.copytree(real_fixtures / SERVING, folder, copy_function=shutil.copyfile)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((folder / "saved_model.pb").read_bytes())
    for signature in proto.meta_graphs[0].signature_def.values():
        for info in [*signature.inputs.values(), *signature.outputs.values()]:
            if info.dtype == types_pb2.DT_FLOAT:
                info.tensor_shape.Clear()
    (folder / "saved_model.pb").write_bytes(proto.SerializeToString())
    return folder


def _example(x):
    feature = tf.train.Feature(float_list=tf.train.FloatList(value=[x]))
    return tf.train.Example(features=tf.train.Features(feature={"x": feature}))


@pytest.mark.parametrize("declared", ["as_published", "as_scalars"])
def test_every_signature_of_the_serving_model_computes_its_numbers(
    real_fixtures, tmp_path, declared, caplog
):
    """a = a2 = 0.5, b = 2, c = c2 = 3: y = ax + b, y2 = ax + c, y3 = a2 x2 + c2."""
    path = real_fixtures / SERVING
    if declared == "as_scalars":
        path = _declaring_scalars(real_fixtures, tmp_path / "scalars")
        with pytest.raises(ValueError, match="Shapes must be equal rank"):
            tf.saved_model.load(str(path), tags=["serve"])
    module = Module(str(path))
    assert (module.load_error is None) == (declared == "as_published")
    x_info = module.get_input_info_dict()["x"]
    assert x_info.shape.as_list() == [None, 1] and x_info.dtype == tf.float32
    y_info = module.get_output_info_dict("regress_x_to_y")["outputs"]
    assert y_info.shape.as_list() == [None, 1]
    if declared == "as_scalars":
        assert x_info.note == y_info.note == "SignatureDef declares shape ()"
        contradictions = [r.getMessage() for r in caplog.records if "contradicts" in r.message]
        assert len(contradictions) == 1 and str(path) in contradictions[0]
        assert "serving_default input 'x' (SignatureDef declares shape ())" in contradictions[0]
        with pytest.raises(InputError, match=r"input 'x' .* has rank 0 .*expected .*\(\?, 1\)"):
            module(2.0)
    np.testing.assert_allclose(module([[2.0], [4.0]]), [[3.0], [4.0]])
    np.testing.assert_allclose(module([[2.0]], signature="regress_x2_to_y3"), [[4.0]])
    examples = [_example(2.0).SerializeToString(), _example(-2.0).SerializeToString()]
    expected = {"regress_x_to_y": [[3.0], [1.0]], "regress_x_to_y2": [[4.0], [2.0]]}
    for name, values in expected.items():
        np.testing.assert_allclose(module(examples, signature=name), values)
    scores = module(examples, signature="classify_x_to_y", as_dict=True)
    np.testing.assert_allclose(scores["scores"], [[3.0], [1.0]])


def test_reference_variables_give_one_warning_of_ours(real_fixtures, capfd, caplog, monkeypatch):
    from tensorflow.python.platform import tf_logging

    # TF logs its warning only for the first few loads of a process: start afresh.
    monkeypatch.setattr(tf_logging, "_log_counter_per_token", {})
    module = Module(str(real_fixtures / SERVING))
    ours = [r.getMessage() for r in caplog.records if "reference variables" in r.getMessage()]
    assert ours == [
        f"module {real_fixtures / SERVING}: TF2 loaded its 5 reference variables "
        "(a, a2, b, c, c2) as part of the graph, not as tf.Variables: they keep their "
        "values but cannot be fine-tuned"
    ]
    assert module.variables == []
    theirs = "Unable to create a python object for variable"
    assert theirs not in capfd.readouterr().err
    assert not [r for r in caplog.records if theirs in r.getMessage()]


def test_unknown_signature_lists_available(half_plus_two):
    with pytest.raises(SignatureError, match=r"no signature 'nope'; available: \['default'\]"):
        half_plus_two([1.0], signature="nope")


def test_unknown_tag_set(real_fixtures):
    with pytest.raises(SignatureError, match=r"no tag set \{'train'\}; available: \{'serve'\}"):
        Module(str(real_fixtures / SERVING), tags={"train"})


def test_missing_and_extra_input_keys(real_fixtures):
    module = Module(str(real_fixtures / SERVING))
    with pytest.raises(InputError, match=r"missing \['x'\] and unexpected \['y'\] input keys"):
        module({"y": [[1.0]]})
    with pytest.raises(InputError, match=r"unexpected \['z'\]"):
        module({"x": [[1.0]], "z": [[1.0]]})


def test_wrong_rank_shape_and_dtype_name_the_input(real_fixtures):
    module = Module(str(real_fixtures / SERVING))
    with pytest.raises(InputError, match=r"input 'x' .* has rank 1 .*expected .*shape=\(\?, 1\)"):
        module(tf.constant([1.0, 2.0]))
    with pytest.raises(InputError, match=r"input 'x' .* has shape \(2, 3\), expected"):
        module(tf.zeros([2, 3]))
    with pytest.raises(InputError, match=r"input 'x' .* has dtype int32, expected .*float32"):
        module(tf.constant([[1]]))
    with pytest.raises(InputError, match=r"input 'x' .* cannot be converted"):
        module([["text"]])


def test_single_tensor_needs_a_single_input_signature(tmp_path):
    from tests.saved_models import write_old_tf1_savedmodel

    module = Module(str(write_old_tf1_savedmodel(tmp_path / "m")))
    with pytest.raises(SignatureError, match="no 'default' signature"):
        Module.default_signature_name(_TwoSignatures())
    assert module.default_signature_name() == "serving_default"


class _TwoSignatures:
    handle = "two"
    _signatures = {"a": None, "b": None}

    def get_signature_names(self):
        return ["a", "b"]


def test_works_inside_a_tf_keras_model(real_fixtures):
    module = Module(str(real_fixtures / "half_plus_two_v1.tar.gz"))
    inputs = keras.Input(shape=(1,))
    outputs = module.as_layer()(inputs)
    model = keras.Model(inputs, outputs)
    np.testing.assert_allclose(model.predict(np.array([[2.0]]), verbose=0), [[3.0]])
