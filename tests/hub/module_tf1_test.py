"""hubmodels.Module on TF1 Hub modules written by our writer: several signatures,
as_dict, a lookup table over an asset, a train tag set, gradients to chosen variables."""

import numpy as np
import pytest

from hubmodels import Module
from hubmodels import errors as hubmodels_errors
from hubmodels._keras import keras, tf
from hubmodels.hub import tf1_writer
from hubmodels.hub.layer import ModuleLayer

v1 = tf.compat.v1
VOCAB = b"cat\ndog\nbird\n"


def _module_fn(is_training=False):
    x = v1.placeholder(tf.float32, [None, 3], name="x")
    words = v1.placeholder(tf.string, [None], name="words")
    with v1.variable_scope("encoder"):
        kernel = v1.get_variable("kernel", [3, 4], initializer=v1.initializers.ones())
    with v1.variable_scope("head"):
        weights = v1.get_variable("weights", [4, 2], initializer=v1.initializers.ones())
    hidden = tf.matmul(x, kernel)
    if is_training:
        hidden = hidden * 2.0
    logits = tf.matmul(hidden, weights)
    table = v1.lookup.StaticHashTable(
        v1.lookup.TextFileInitializer(
            tf1_writer.asset_path("vocab.txt"),
            tf.string,
            v1.lookup.TextFileIndex.WHOLE_LINE,
            tf.int64,
            v1.lookup.TextFileIndex.LINE_NUMBER,
        ),
        default_value=-1,
    )
    tf1_writer.add_signature("default", {"x": x}, logits)
    tf1_writer.add_signature("layers", {"x": x}, {"encoder/hidden": hidden, "logits": logits})
    tf1_writer.add_signature("lookup", {"words": words}, {"ids": table.lookup(words)})


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("tf1") / "module"
    tf1_writer.write_module(
        path,
        _module_fn,
        tags_and_args=[(set(), {}), ({"train"}, {"is_training": True})],
        assets={"vocab.txt": VOCAB},
    )
    return path


def test_signatures_and_infos(written):
    module = Module(str(written))
    assert module.get_signature_names() == ["default", "layers", "lookup"]
    assert repr(module.get_input_info_dict()["x"]) == (
        "<hub.ParsedTensorInfo shape=(?, 3) dtype=float32 is_sparse=False>"
    )
    outputs = module.get_output_info_dict("layers")
    assert sorted(outputs) == ["encoder/hidden", "logits"]
    assert outputs["encoder/hidden"].shape.as_list() == [None, 4]


def test_as_dict_returns_every_layer(written):
    module = Module(str(written))
    layers = module({"x": np.ones((2, 3), np.float32)}, signature="layers", as_dict=True)
    np.testing.assert_allclose(layers["encoder/hidden"], np.full((2, 4), 3.0))
    np.testing.assert_allclose(layers["logits"], np.full((2, 2), 12.0))
    np.testing.assert_allclose(module(np.ones((1, 3))), [[12.0, 12.0]])


def test_lookup_table_is_initialised_on_load(written, tmp_path):
    import shutil

    moved = tmp_path / "moved"
    shutil.copytree(written, moved)
    module = Module(str(moved))
    ids = module(["dog", "cat", "fish", ""], signature="lookup")
    np.testing.assert_array_equal(ids, [1, 0, -1, -1])


def test_train_tag_set_is_the_training_graph(written):
    train = Module(str(written), tags={"train"})
    assert train.tags == frozenset({"train"})
    np.testing.assert_allclose(train(np.ones((1, 3))), [[24.0, 24.0]])


def test_gradients_reach_only_the_chosen_variables(written):
    layer = ModuleLayer(
        str(written), trainable=True, trainable_filter=lambda name: name.startswith("head/")
    )
    assert layer.module_trainable_names == ["head/weights"]
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, layer(inputs))
    model.compile(keras.optimizers.SGD(0.01), "mse")
    before = {k: v.numpy().copy() for k, v in layer.module.variable_map.items()}
    model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)
    after = {k: v.numpy() for k, v in layer.module.variable_map.items()}
    assert np.array_equal(before["encoder/kernel"], after["encoder/kernel"])
    assert not np.array_equal(before["head/weights"], after["head/weights"])


def test_sparse_input_info_and_call(tmp_path):
    def module_fn():
        values = v1.sparse_placeholder(tf.float32, [None, 5], name="values")
        tf1_writer.add_signature(
            inputs={"values": values}, outputs=tf.sparse.reduce_sum(values, axis=1)
        )

    tf1_writer.write_module(tmp_path / "sparse", module_fn)
    module = Module(str(tmp_path / "sparse"))
    info = module.get_input_info_dict()["values"]
    assert info.is_sparse and repr(info).endswith("dtype=float32 is_sparse=True>")
    sparse = tf.SparseTensor(
        indices=[[0, 1], [0, 4], [1, 2]], values=[1.0, 2.0, 5.0], dense_shape=[2, 5]
    )
    np.testing.assert_allclose(module(sparse), [3.0, 5.0])
    with pytest.raises(hubmodels_errors.InputError, match="must be a tf.SparseTensor"):
        module(np.zeros((2, 5), np.float32))
