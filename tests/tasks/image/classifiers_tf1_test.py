"""Image factories on TF1 Hub stand-ins, through our adapter (hub.KerasLayer refuses them)."""

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import keras

INCEPTION = "hubmodels://standin/google/imagenet/inception_v3/classification/1"
RESNET = "hubmodels://standin/google/imagenet/resnet_v2_50/feature_vector/1"


def test_image_classifier_on_a_chosen_tf1_signature_output():
    model = hubmodels.image_classifier(
        INCEPTION, signature="image_classification", output_key="InceptionV3/Logits"
    )
    assert model.outputs[0].shape[-1] == 1001 and len(model.class_names) == 1001
    images = np.random.default_rng(0).uniform(0, 1, (1, 299, 299, 3)).astype("float32")
    top = hubmodels.predict_top_k(model, images, k=3)[0]
    assert len(top) == 3 and abs(sum(model.predict(images, verbose=0)[0]) - 1) < 1e-4


def test_unfreezing_block4_of_tf1_resnet_changes_block4_and_head_only():
    model = hubmodels.feature_vector_classifier(RESNET, 2, unfreeze="block4", dropout=0.0)
    names = hubmodels.trainable_report(model)["module"]
    assert names and all(n.startswith("resnet_v2_50/block4/") for n in names)
    before = {w.name: w.numpy().copy() for w in model.weights}
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (4, 224, 224, 3)).astype("float32")
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    model.fit(images, np.array([0, 1, 0, 1]), epochs=1, batch_size=4, verbose=0)
    changed = {w.name for w in model.weights if not np.array_equal(before[w.name], w.numpy())}
    module_changed = {n for n in changed if n.startswith("resnet_v2_50/")}
    assert module_changed and all(n.startswith("resnet_v2_50/block4/") for n in module_changed)
    assert {"head_probs/kernel:0", "head_probs/bias:0"} <= changed
    assert changed - module_changed == {"head_probs/kernel:0", "head_probs/bias:0"}


def _write_session_only_image_model(path):
    """An early TF1 image model (reference variables) that TF2's loader refuses: one of its
    signatures names a missing tensor, so it runs only in a TF1 session."""
    from hubmodels._keras import tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        images = v1.placeholder(tf.float32, [None, 8, 8, 3], name="images")
        weights = v1.Variable(np.eye(3, 4, dtype="float32"), name="w", use_resource=False)
        features = tf.matmul(tf.reduce_mean(images, axis=[1, 2]), weights, name="features")
        good = v1.saved_model.predict_signature_def({"images": images}, {"default": features})
        bad = v1.saved_model.predict_signature_def({"images": images}, {"default": features})
        bad.outputs["default"].name = "no_such_tensor:0"
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            builder.add_meta_graph_and_variables(
                session, ["serve"], signature_def_map={"serving_default": good, "bad": bad}
            )
            builder.save()
    return str(path)


def test_frozen_factory_runs_a_session_only_tf1_model(tmp_path):
    handle = _write_session_only_image_model(tmp_path / "old")
    model = hubmodels.feature_vector_classifier(handle, 2, dropout=0.0)
    images = np.random.default_rng(0).uniform(0, 1, (3, 8, 8, 3)).astype("float32")
    assert model.predict(images, verbose=0).shape == (3, 2)
    with pytest.raises(hubmodels.HubModelsError, match=r"cannot be fine-tuned"):
        hubmodels.feature_vector_classifier(handle, 2, unfreeze=True)
