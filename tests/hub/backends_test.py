"""The two backends on SavedModels written here: nested __call__ structures of TF2 models,
and the graph's own shapes in a TF1 session."""

import logging

import numpy as np
import pytest

from hubmodels import Module
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError, ModuleFormatError, SignatureError

v1 = tf.compat.v1
X = tf.TensorSpec([None, 2], tf.float32)


class _Encoder(tf.Module):
    """x [batch, 2] -> {pooled [batch], encoder_outputs: [h1, h2] each [batch, 2]}, BERT-like."""

    def __init__(self):
        super().__init__()
        self.kernel = tf.Variable([[1.0, 2.0], [3.0, 4.0]])

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
    def __call__(self, x):
        h1 = tf.matmul(x, self.kernel)
        h2 = h1 * 2.0
        return {"pooled": tf.reduce_sum(h2, axis=1), "encoder_outputs": [h1, h2]}


class _ListInput(tf.Module):
    """inputs: [a, b] each [batch, 2] -> a + 10 b; also saved as serving_default."""

    @tf.function(input_signature=[[X, X]])
    def __call__(self, inputs):
        return inputs[0] + 10.0 * inputs[1]


class _NestedDictInput(tf.Module):
    """{"ids": [batch, 2], "extra": {"mask": [batch, 2]}} -> (ids * mask, ids + mask)."""

    @tf.function(input_signature=[{"ids": X, "extra": {"mask": X}}])
    def __call__(self, features):
        ids, mask = features["ids"], features["extra"]["mask"]
        return ids * mask, ids + mask


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    path = tmp_path_factory.mktemp("encoder") / "model"
    tf.saved_model.save(_Encoder(), str(path), signatures={})
    return str(path)


def test_nested_outputs_are_flattened_with_path_keys(encoder):
    module = Module(encoder)
    assert module.get_signature_names() == ["default"]
    assert list(module.get_input_info_dict()) == ["x"]
    outputs = module.get_output_info_dict()
    assert list(outputs) == ["encoder_outputs/0", "encoder_outputs/1", "pooled"]
    assert outputs["pooled"].shape.as_list() == [None]
    assert outputs["encoder_outputs/1"].shape.as_list() == [None, 2]
    result = module(np.array([[1.0, 1.0], [0.0, 1.0]], np.float32), as_dict=True)
    assert sorted(result) == list(outputs)
    np.testing.assert_allclose(result["encoder_outputs/0"], [[4.0, 6.0], [3.0, 4.0]])
    np.testing.assert_allclose(result["encoder_outputs/1"], [[8.0, 12.0], [6.0, 8.0]])
    np.testing.assert_allclose(result["pooled"], [20.0, 14.0])
    with pytest.raises(SignatureError, match=r"no 'default' output; .*'encoder_outputs/0'"):
        module([[1.0, 1.0]])


def test_nested_output_as_a_keras_layer(encoder):
    layer = Module(encoder).as_layer(output_key="encoder_outputs/1")
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model.predict(np.ones((1, 2)), verbose=0), [[8.0, 12.0]])


def test_list_input_takes_the_list_or_the_flat_dict(tmp_path):
    path = str(tmp_path / "list_input")
    tf.saved_model.save(_ListInput(), path)
    module = Module(path)
    assert module.get_signature_names() == ["default", "serving_default"]
    assert list(module.get_input_info_dict("default")) == ["inputs/0", "inputs/1"]
    a = np.array([[1.0, 2.0]], np.float32)
    b = np.array([[3.0, 4.0]], np.float32)
    expected = [[31.0, 42.0]]
    np.testing.assert_allclose(module([a, b], signature="default"), expected)
    np.testing.assert_allclose(module((a, b), signature="default"), expected)
    flat = module({"inputs/0": a, "inputs/1": b}, signature="default", as_dict=True)
    np.testing.assert_allclose(flat["default"], expected)
    with pytest.raises(InputError, match=r"'default' of module .*list_input takes inputs nested"):
        module(a, signature="default")
    with pytest.raises(InputError, match="list or tuple of 2 items, got 3"):
        module([a, b, b], signature="default")
    with pytest.raises(InputError, match=r"input 'inputs/1' .* has dtype int32"):
        module([a, tf.constant([[1, 2]])], signature="default")
    with pytest.raises(InputError, match=r"missing \['inputs/1'\]"):
        module({"inputs/0": a}, signature="default")


def test_nested_dict_input_and_tuple_output(tmp_path):
    path = str(tmp_path / "nested_dict")
    tf.saved_model.save(_NestedDictInput(), path, signatures={})
    module = Module(path)
    assert list(module.get_input_info_dict()) == ["extra/mask", "ids"]
    assert list(module.get_output_info_dict()) == ["default/0", "default/1"]
    ids = np.array([[1.0, 2.0]], np.float32)
    mask = np.array([[0.0, 3.0]], np.float32)
    nested = module({"ids": ids, "extra": {"mask": mask}}, as_dict=True)
    flat = module({"ids": ids, "extra/mask": mask}, as_dict=True)
    for result in (nested, flat):
        np.testing.assert_allclose(result["default/0"], [[0.0, 6.0]])
        np.testing.assert_allclose(result["default/1"], [[1.0, 5.0]])
    with pytest.raises(InputError, match=r"dict with keys \['mask'\], got \['mask2'\]"):
        module({"ids": ids, "extra": {"mask2": mask}})


class _Clashing(tf.Module):
    """__call__ outputs {"a/0": x, "a": [x]}: two outputs would be named a/0."""

    @tf.function(input_signature=[X])
    def __call__(self, x):
        return {"a/0": x, "a": [x]}

    @tf.function(input_signature=[X])
    def serve(self, x):
        return {"y": x + 1.0}


def test_call_that_cannot_be_a_signature_leaves_the_others(tmp_path, caplog):
    model = _Clashing()
    only_call = str(tmp_path / "only_call")
    tf.saved_model.save(model, only_call, signatures={})
    with pytest.raises(ModuleFormatError, match=r"only_call: its __call__ .* named \['a/0'\]"):
        Module(only_call)
    with_serving = str(tmp_path / "with_serving")
    tf.saved_model.save(model, with_serving, signatures={"serving_default": model.serve})
    with caplog.at_level(logging.WARNING):
        module = Module(with_serving)
    assert module.get_signature_names() == ["serving_default"]
    np.testing.assert_allclose(module([[1.0, 2.0]]), [[2.0, 3.0]])
    assert any(
        "with_serving: its __call__ is not offered as signature 'default'" in r.getMessage()
        and "['serving_default']" in r.getMessage()
        for r in caplog.records
    )


def test_session_checks_outputs_the_graph_leaves_open(tmp_path):
    """y = reshape(x, reverse(shape(x))) has no static shape; its SignatureDef says (?, 7)."""
    path = str(tmp_path / "reshape")
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, None], name="x")
        y = tf.reshape(x, tf.reverse(tf.shape(x), [0]), name="y")
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        signature.outputs["y"].tensor_shape.Clear()
        for size in (-1, 7):
            signature.outputs["y"].tensor_shape.dim.add(size=size)
        signature.inputs["x"].tensor_shape.Clear()  # declares () and int32
        signature.inputs["x"].dtype = tf.int32.as_datatype_enum
        with v1.Session(graph=graph) as session:
            builder = v1.saved_model.Builder(path)
            broken = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            broken.outputs["y"].name = "no_such_tensor:0"  # TF2 refuses the whole model
            builder.add_meta_graph_and_variables(
                session,
                ["serve"],
                signature_def_map={"serving_default": signature, "broken": broken},
            )
            builder.save()
    module = Module(path)
    assert module.load_error is not None
    x_info = module.get_input_info_dict()["x"]
    assert x_info.dtype == tf.float32 and x_info.shape.as_list() == [None, None]
    assert x_info.note == "SignatureDef declares dtype int32; SignatureDef declares shape ()"
    np.testing.assert_allclose(module(np.ones((7, 1), np.float32)), np.ones((1, 7)))
    with pytest.raises(
        SignatureError, match=r"declares output 'y' with shape \(\?, 7\), .*\(2, 1\)"
    ):
        module(np.ones((1, 2), np.float32))


def test_fine_tuning_a_module_whose_trainable_variables_do_not_load_is_refused(real_fixtures):
    """TF Serving's half_plus_two marks reference variables trainable; TF2 loads them as graph
    state, so fine-tuning would silently train nothing."""
    path = str(real_fixtures / "saved_model_half_plus_two_cpu" / "00000123")
    assert Module(path).get_signature_names()  # frozen use works
    with pytest.raises(ModuleFormatError, match=r"cannot be fine-tuned: 5 of the variables"):
        Module(path, trainable=True)
