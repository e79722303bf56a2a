"""The TF1 Hub format writer, checked through TF2's and TF1's own loaders."""

import shutil

import numpy as np
import pytest
import tensorflow_hub as hub

from hubmodels._keras import tf
from hubmodels.errors import ModuleFormatError
from hubmodels.hub import tf1_writer
from hubmodels.hub.tf1_writer import add_signature, asset_path, attach_message, write_module

v1 = tf.compat.v1
VOCAB = ["cat", "dog", "fish"]
EPSILON = 1e-3


def _module_fn(is_training=False):
    """images [?, 4] -> dense (3) -> batch norm (batch statistics when training).

    Signatures: default (images -> normalised [?, 3]) and features (images, words
    [?] -> logits, hidden, word_ids looked up in the vocab.txt asset, -1 if unknown).
    """
    images = v1.placeholder(tf.float32, [None, 4], name="images")
    words = v1.placeholder(tf.string, [None], name="words")
    with v1.variable_scope("net"):
        kernel = v1.get_variable("dense/kernel", [4, 3])
        bias = v1.get_variable("dense/bias", [3], initializer=v1.constant_initializer(0.5))
        moving_mean = v1.get_variable(
            "bn/moving_mean", [3], initializer=v1.zeros_initializer(), trainable=False
        )
        moving_var = v1.get_variable(
            "bn/moving_variance", [3], initializer=v1.ones_initializer(), trainable=False
        )
    hidden = tf.matmul(images, kernel) + bias
    if is_training:
        mean, var = tf.nn.moments(hidden, axes=[0])
    else:
        mean, var = moving_mean, moving_var
    normed = (hidden - mean) * tf.math.rsqrt(var + EPSILON)
    initializer = v1.lookup.TextFileInitializer(
        asset_path("vocab.txt"),
        tf.string,
        v1.lookup.TextFileIndex.WHOLE_LINE,
        tf.int64,
        v1.lookup.TextFileIndex.LINE_NUMBER,
    )
    table = v1.lookup.StaticHashTable(initializer, default_value=-1)
    add_signature("default", {"images": images}, normed)
    add_signature(
        "features",
        {"images": images, "words": words},
        {"logits": normed, "hidden": hidden, "word_ids": table.lookup(words)},
    )
    attach_message("notice", "made by a test")


def _write(path, seed=0, **kwargs):
    write_module(
        path,
        _module_fn,
        tags_and_args=[(set(), {}), ({"train"}, {"is_training": True})],
        assets={"vocab.txt": "\n".join(VOCAB).encode() + b"\n"},
        seed=seed,
        **kwargs,
    )
    return path


@pytest.fixture(scope="session")
def module_dir(tmp_path_factory):
    """The module, copied elsewhere and its original deleted: it must not refer back."""
    original = _write(tmp_path_factory.mktemp("writer") / "module")
    moved = tmp_path_factory.mktemp("moved") / "module"
    shutil.copytree(original, moved)
    shutil.rmtree(original)
    return moved


def _weights(path):
    reader = tf.train.load_checkpoint(str(path / "variables" / "variables"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def _images():
    return np.arange(8, dtype=np.float32).reshape(2, 4) / 4.0 - 1.0


def test_files_are_the_tf1_hub_format(module_dir, real_fixtures, tmp_path):
    tar = real_fixtures / "half_plus_two_v1.tar.gz"
    shutil.unpack_archive(tar, tmp_path)
    assert (module_dir / "tfhub_module.pb").read_bytes() == (
        tmp_path / "tfhub_module.pb"
    ).read_bytes()
    assert (module_dir / "assets" / "vocab.txt").read_text().split() == VOCAB
    assert tf1_writer.read_attached_message(module_dir, "notice") == b"made by a test"
    assert tf1_writer.read_attached_message(module_dir, "notice", tags={"train"}) == (
        b"made by a test"
    )
    assert tf1_writer.read_attached_message(module_dir, "absent") is None


def test_saved_model_keeps_no_build_path(module_dir):
    graph_bytes = (module_dir / "saved_model.pb").read_bytes()
    assert b"staging" not in graph_bytes
    assert b"SAVEDMODEL-ASSET/vocab.txt" in graph_bytes


@pytest.mark.parametrize("load", [hub.load, tf.saved_model.load], ids=["hub", "tf"])
def test_signatures_and_specs(module_dir, load):
    loaded = load(str(module_dir), tags=set())
    assert sorted(loaded.signatures) == ["default", "features"]
    features = loaded.signatures["features"]
    inputs = features.structured_input_signature[1]
    assert inputs["images"] == tf.TensorSpec([None, 4], tf.float32, name="images")
    assert inputs["words"] == tf.TensorSpec([None], tf.string, name="words")
    outputs = features.structured_outputs
    assert sorted(outputs) == ["hidden", "logits", "word_ids"]
    assert outputs["logits"].shape.as_list() == [None, 3]
    assert outputs["word_ids"].dtype == tf.int64
    assert list(loaded.signatures["default"].structured_outputs) == ["default"]


def test_outputs_and_table_without_user_initialisation(module_dir):
    loaded = hub.load(str(module_dir), tags=set())
    weights = _weights(module_dir)
    images = _images()
    words = tf.constant(["dog", "unicorn", "cat", "fish", ""])
    out = loaded.signatures["features"](images=tf.constant(images[:1].repeat(5, 0)), words=words)
    hidden = images @ weights["net/dense/kernel"] + weights["net/dense/bias"]
    np.testing.assert_allclose(out["hidden"].numpy()[0], hidden[0], rtol=1e-6)
    np.testing.assert_allclose(out["logits"].numpy()[0], hidden[0] / np.sqrt(1 + EPSILON), 1e-5)
    assert out["word_ids"].numpy().tolist() == [1, -1, 0, 2, -1]
    np.testing.assert_allclose(weights["net/dense/bias"], 0.5)


def test_train_tags_use_batch_statistics(module_dir):
    images = tf.constant(_images())
    infer = hub.load(str(module_dir), tags=set()).signatures["default"]
    train = hub.load(str(module_dir), tags={"train"}).signatures["default"]
    infer_out = infer(images=images)["default"].numpy()
    train_out = train(images=images)["default"].numpy()
    assert not np.allclose(infer_out, train_out)
    np.testing.assert_allclose(train_out.mean(axis=0), 0.0, atol=1e-5)
    train_words = hub.load(str(module_dir), tags={"train"}).signatures["features"]
    assert train_words(images=images, words=tf.constant(["fish", "cat"]))[
        "word_ids"
    ].numpy().tolist() == [2, 0]


def test_gradients_reach_the_variables(module_dir):
    loaded = hub.load(str(module_dir), tags=set())
    by_name = {v.name: v for v in loaded.variables}
    assert sorted(by_name) == [
        "net/bn/moving_mean:0",
        "net/bn/moving_variance:0",
        "net/dense/bias:0",
        "net/dense/kernel:0",
    ]
    images = _images()
    with tf.GradientTape() as tape:
        outputs = loaded.signatures["default"](images=tf.constant(images))["default"]
        loss = tf.reduce_sum(outputs)
    grads = dict(zip(by_name, tape.gradient(loss, list(by_name.values()))))
    expected = images.T @ np.ones((2, 3), np.float32) / np.sqrt(1 + EPSILON)
    np.testing.assert_allclose(grads["net/dense/kernel:0"].numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(grads["net/dense/bias:0"].numpy(), 2 / np.sqrt(1 + EPSILON), 1e-5)


def test_tf1_session_loader_initialises_tables(module_dir):
    for tags in ([], ["train"]):
        graph = tf.Graph()
        with graph.as_default(), v1.Session(graph=graph) as session:
            meta_graph = v1.saved_model.loader.load(session, tags, str(module_dir))
            signature = meta_graph.signature_def["features"]
            ids = session.run(
                signature.outputs["word_ids"].name,
                {signature.inputs["words"].name: ["fish", "x", "dog"]},
            )
        assert ids.tolist() == [2, -1, 1]


def test_weights_are_deterministic_per_seed(tmp_path):
    first = _weights(_write(tmp_path / "a", seed=3))
    again = _weights(_write(tmp_path / "b", seed=3))
    other = _weights(_write(tmp_path / "c", seed=4))
    kernel = "net/dense/kernel"
    np.testing.assert_array_equal(first[kernel], again[kernel])
    assert not np.allclose(first[kernel], other[kernel])
    assert (tmp_path / "a" / "saved_model.pb").read_bytes() == (
        tmp_path / "b" / "saved_model.pb"
    ).read_bytes()


def test_sparse_inputs(tmp_path):
    def module_fn():
        values = v1.sparse_placeholder(tf.float32, [None, 5], name="values")
        add_signature(inputs={"values": values}, outputs=tf.sparse.reduce_sum(values, axis=1))

    write_module(tmp_path / "m", module_fn)
    function = hub.load(str(tmp_path / "m")).signatures["default"]
    result = function(
        values_indices=tf.constant([[0, 1], [0, 4], [1, 2]], tf.int64),
        values_values=tf.constant([1.0, 2.0, 5.0]),
        values_dense_shape=tf.constant([2, 5], tf.int64),
    )["default"]
    assert result.numpy().tolist() == [3.0, 5.0]


def test_write_saved_model_is_plain_tf1(tmp_path):
    def module_fn():
        x = v1.placeholder(tf.float32, [None], name="x")
        add_signature("serving_default", {"x": x}, {"y": 2.0 * x})

    tf1_writer.write_saved_model(tmp_path / "m", module_fn)
    assert not (tmp_path / "m" / "tfhub_module.pb").exists()
    loaded = tf.saved_model.load(str(tmp_path / "m"), tags=["serve"])
    assert loaded.signatures["serving_default"](x=tf.constant([1.5]))["y"].numpy() == [3.0]


def test_existing_directory_needs_overwrite(tmp_path):
    target = tmp_path / "m"
    target.mkdir()
    _write(target)  # an existing empty directory is fine
    before = _weights(target)
    with pytest.raises(FileExistsError, match="not empty.*overwrite=True"):
        _write(target, seed=7)
    np.testing.assert_array_equal(_weights(target)["net/dense/kernel"], before["net/dense/kernel"])
    _write(target, seed=7, overwrite=True)
    assert not np.allclose(_weights(target)["net/dense/kernel"], before["net/dense/kernel"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_failed_write_leaves_nothing(tmp_path):
    def module_fn():
        v1.get_variable("w", [2])
        raise RuntimeError("broken module_fn")

    with pytest.raises(RuntimeError, match="broken module_fn"):
        write_module(tmp_path / "m", module_fn)
    assert list(tmp_path.iterdir()) == []


def test_module_fn_without_signature(tmp_path):
    with pytest.raises(ModuleFormatError, match="added no signature"):
        write_module(tmp_path / "m", lambda: v1.placeholder(tf.float32, [None]))
    assert list(tmp_path.iterdir()) == []


def test_signature_added_twice(tmp_path):
    def module_fn():
        x = v1.placeholder(tf.float32, [None])
        add_signature("default", x, x + 1.0)
        add_signature("default", x, x + 2.0)

    with pytest.raises(ModuleFormatError, match="signature 'default' is added twice"):
        write_module(tmp_path / "m", module_fn)


def test_tag_sets_must_share_variables(tmp_path):
    def module_fn(extra=False):
        x = v1.placeholder(tf.float32, [None, 2])
        w = v1.get_variable("w", [2, 2])
        if extra:
            v1.get_variable("extra", [1])
        add_signature(inputs=x, outputs=tf.matmul(x, w))

    with pytest.raises(ModuleFormatError, match=r"tags \['train'\].*extra \['extra'\]"):
        write_module(tmp_path / "m", module_fn, [(set(), {}), ({"train"}, {"extra": True})])


def test_helpers_outside_module_fn_and_unknown_asset(tmp_path):
    with pytest.raises(ModuleFormatError, match="inside the module_fn"):
        add_signature(inputs=tf.constant(1.0), outputs=tf.constant(2.0))

    def module_fn():
        asset_path("missing.txt")

    with pytest.raises(ModuleFormatError, match="asset 'missing.txt' is not among"):
        write_module(tmp_path / "m", module_fn, assets={"vocab.txt": b"a\n"})
