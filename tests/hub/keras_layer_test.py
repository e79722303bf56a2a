"""Module layers: hub.KerasLayer for TF2 modules (HubKerasLayer), the adapter for TF1 ones.

Factories build them; models save with `model.save` and reload with plain tf-keras, also in a
fresh process, including modules that own lookup tables (MiniLM's vocabulary, ELMo's).
"""

import subprocess
import sys

import numpy as np
import pytest
import tensorflow_hub as hub

import hubmodels
from hubmodels._keras import keras, tf
from hubmodels.hub.keras_layer import HubKerasLayer
from hubmodels.hub.layer import ModuleLayer
from hubmodels.hub.layers import module_layer
from hubmodels.hub.module import Module

CUSTOM = {"KerasLayer": hub.KerasLayer, "HubKerasLayer": HubKerasLayer}


def _images(n=4, size=32, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, size, size, 3)).astype("float32")


def test_every_image_factory_holds_a_hub_keras_layer_on_a_tf2_module(tiny_image_module):
    fine_tuned = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=1)
    frozen = hubmodels.feature_vector_classifier(str(tiny_image_module), 2)
    classifier = hubmodels.image_classifier(str(tiny_image_module))
    for model in (fine_tuned, frozen, classifier):
        layer = model.get_layer("module")
        assert isinstance(layer, hub.KerasLayer), type(layer)
    lines = []
    fine_tuned.summary(print_fn=lines.append)
    assert any("HubKerasLayer" in line for line in lines)


def test_tf1_modules_get_the_adapter_layer():
    model = hubmodels.feature_vector_classifier(
        "hubmodels://standin/google/imagenet/resnet_v2_50/feature_vector/1", 2
    )
    assert isinstance(model.get_layer("module"), ModuleLayer)


def test_model_save_reloads_with_plain_tf_keras(tiny_image_module, tmp_path):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 3, unfreeze="block2")
    images = _images()
    expected = model.predict(images, verbose=0)
    model.save(tmp_path / "model")
    reloaded = keras.models.load_model(tmp_path / "model", custom_objects=CUSTOM)
    np.testing.assert_allclose(reloaded.predict(images, verbose=0), expected, atol=1e-6)
    layer = reloaded.get_layer("module")
    assert isinstance(layer, HubKerasLayer)
    assert sorted(layer.module_trainable_names) == [
        "tiny/block2/bn/gamma",
        "tiny/block2/conv/kernel",
    ]


def test_only_the_named_variables_train_and_batch_norm_statistics_stay(tiny_image_module):
    module = Module(str(tiny_image_module), trainable=True)
    layer = module_layer(module, trainable_names=["tiny/block1/conv/kernel"])
    assert [w.name for w in layer.trainable_weights] == ["tiny/block1/conv/kernel:0"]
    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(layer(inputs)))
    before = {w.name: w.numpy().copy() for w in layer.weights}
    model.compile(keras.optimizers.SGD(0.5), keras.losses.SparseCategoricalCrossentropy(True))
    model.fit(_images(8), np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)
    changed = [w.name for w in layer.weights if not np.array_equal(before[w.name], w.numpy())]
    assert changed == ["tiny/block1/conv/kernel:0"]


def test_module_training_runs_batch_norm_on_batch_statistics(tiny_image_module):
    images = _images(8)
    frozen_stats = module_layer(
        Module(str(tiny_image_module), trainable=True), trainable_names=["tiny/block1/conv/kernel"]
    )
    batch_stats = module_layer(
        Module(str(tiny_image_module), trainable=True),
        trainable_names=["tiny/block1/conv/kernel"],
        module_training=True,
    )
    inference = frozen_stats(images, training=False).numpy()
    np.testing.assert_allclose(frozen_stats(images, training=True), inference, atol=1e-6)
    assert not np.allclose(batch_stats(images, training=True), inference, atol=1e-4)


def test_train_batch_norm_on_a_tf1_module_is_refused_with_the_way_out():
    with pytest.raises(hubmodels.HubModelsError, match=r"tags=\{'train'\}"):
        hubmodels.feature_vector_classifier(
            "hubmodels://standin/google/imagenet/resnet_v2_50/feature_vector/1",
            2,
            unfreeze="block4",
            train_batch_norm=True,
        )


RELOAD = """
import sys
import numpy as np
from hubmodels._keras import keras, tf
import tensorflow_text  # MiniLM's WordPiece ops, as any user of the model imports them
model = keras.models.load_model(sys.argv[1])
texts = tf.constant(["a fine day", "", "le chat noir", "terrible service"])
np.save(sys.argv[2], model.predict(texts, verbose=0))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "handle, layer_type",
    [
        ("hubmodels://minilm_l6_v2/text_embedding", HubKerasLayer),
        ("hubmodels://standin/google/elmo/2", ModuleLayer),
    ],
)
def test_modules_with_tables_save_and_reload_in_a_fresh_process(handle, layer_type, tmp_path):
    texts = tf.constant(["a fine day", "", "le chat noir", "terrible service"])
    inputs = keras.Input((), dtype=tf.string, name="text")
    layer = module_layer(Module(handle))
    assert isinstance(layer, layer_type)
    minilm = "minilm" in handle
    assert layer.required_packages == (("tensorflow_text",) if minilm else ())
    model = keras.Model(inputs, keras.layers.Dense(3, name="head")(layer(inputs)))
    expected = model.predict(texts, verbose=0)
    model.save(tmp_path / "model")
    del model, layer
    out = tmp_path / "reloaded.npy"
    subprocess.run(
        [sys.executable, "-c", RELOAD, str(tmp_path / "model"), str(out)],
        check=True,
        capture_output=True,
        env={"HUBMODELS_HOME": str(tmp_path / "no_zoo"), "PATH": "", "HOME": str(tmp_path)},
    )
    np.testing.assert_allclose(np.load(out), expected, atol=1e-5)


class _Encoder(tf.Module):
    """BERT-like outputs: a dict holding a list."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def __call__(self, x):
        first = tf.matmul(x, self.w)
        return {"pooled": tf.reduce_sum(first, -1), "encoder_outputs": [first, 2.0 * first]}


def test_a_nested_output_key_of_a_tf2_module(tmp_path):
    tf.saved_model.save(_Encoder(), str(tmp_path / "encoder"))
    layer = module_layer(Module(str(tmp_path / "encoder")), output_key="encoder_outputs/1")
    assert isinstance(layer, HubKerasLayer) and layer.output_key == "encoder_outputs/1"
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model.predict(np.ones((1, 2)), verbose=0), [[8.0, 12.0]])
    model.save(tmp_path / "model")
    reloaded = keras.models.load_model(tmp_path / "model", custom_objects=CUSTOM)
    np.testing.assert_allclose(reloaded.predict(np.ones((1, 2)), verbose=0), [[8.0, 12.0]])
