"""The stand-ins of the tutorial's TF1 Hub modules, against the originals' documented interfaces.

standin_interfaces.json was written by hand from the originals' documentation; every
stand-in must match it exactly. Each module is built once per session, on first use.
"""

import json
import time
from pathlib import Path

import numpy as np
import pytest

from hubmodels._keras import tf
from hubmodels.hub import savedmodel_file
from hubmodels.hub.module import Module
from hubmodels.zoo import registry
from hubmodels.zoo.standins import faster_rcnn, notice

INTERFACES = json.loads((Path(__file__).parent / "standin_interfaces.json").read_text())
PATHS = sorted(key for key in INTERFACES if not key.startswith("_"))
ELMO = "google/elmo/2"
RESNET = "google/imagenet/resnet_v2_50/feature_vector/1"
INCEPTION = "google/imagenet/inception_v3/classification/1"
DETECTOR = "google/faster_rcnn/openimages_v4/inception_resnet_v2/1"
I3D = "deepmind/i3d-kinetics-400/1"
PROGAN = "google/progan-128/1"


class _Builds:
    """Builds each stand-in once per session into a temporary folder; records the time.

    `loaded(path, tags)` shares one trainable Module per graph among the tests that do not
    change its variables (loading dominates the time of these tests).
    """

    def __init__(self, root: Path):
        self.root = root
        self.dirs = {}
        self.seconds = {}
        self.modules = {}

    def loaded(self, path: str, tags=()) -> Module:
        key = (path, frozenset(tags))
        if key not in self.modules:
            self.modules[key] = Module(self(path), trainable=True, tags=set(tags))
        return self.modules[key]

    def __call__(self, path: str) -> Path:
        if path not in self.dirs:
            out = self.root / path.replace("/", "_")
            out.mkdir()
            start = time.perf_counter()
            registry.get(f"standin/{path}").builder(out)
            self.seconds[path] = time.perf_counter() - start
            self.dirs[path] = out
        return self.dirs[path]


@pytest.fixture(scope="session")
def standin(tmp_path_factory):
    return _Builds(tmp_path_factory.mktemp("standins"))


def _infos(info_dict) -> dict:
    return {
        key: {"dtype": info.dtype.name, "shape": info.shape.as_list()}
        for key, info in info_dict.items()
    }


def _example(info, batch=2, length=3):
    """A small input for a documented input info (unknown batch -> `batch`)."""
    dims = info["shape"]
    shape = [batch if i == 0 and d is None else (d or length) for i, d in enumerate(dims)]
    if info["dtype"] == "string":
        words = np.array(["the", "cat", "sat", "on", "mat"], dtype=object)
        return tf.constant(np.resize(words, shape))
    if info["dtype"] == "int32":
        return tf.fill(shape, length)
    return tf.random.stateless_uniform(shape, seed=[1, 2])


def test_registry_lists_every_documented_standin():
    names = {e.name for e in registry.entries() if e.is_standin}
    assert {f"standin/{path}" for path in PATHS} <= names
    for path in PATHS:
        assert registry.get(f"standin/{path}").standin_of == f"https://tfhub.dev/{path}"


@pytest.mark.parametrize("path", PATHS)
def test_interface_matches_documentation(standin, path):
    expected = INTERFACES[path]
    folder = standin(path)
    file = savedmodel_file.read(folder)
    assert file.format == "TF1 Hub module"
    assert sorted(map(sorted, file.tag_sets())) == sorted(expected["tags"])
    for tags in expected["tags"]:
        module = standin.loaded(path, tags)
        assert module.get_signature_names() == sorted(expected["signatures"])
        for name, signature in expected["signatures"].items():
            assert _infos(module.get_input_info_dict(name)) == signature["inputs"], name
            assert _infos(module.get_output_info_dict(name)) == signature["outputs"], name
        assert notice.read(folder, tags) == (
            f"stand-in: random weights, same interface as https://tfhub.dev/{path}"
        )


@pytest.mark.parametrize("path", PATHS)
def test_signatures_run_with_documented_shapes(standin, path):
    module = standin.loaded(path)
    for name, signature in INTERFACES[path]["signatures"].items():
        batch = signature["inputs"].get("images", {}).get("shape", [None])[0] or 2
        inputs = {key: _example(info, batch) for key, info in signature["inputs"].items()}
        outputs = module(inputs, signature=name, as_dict=True)
        assert sorted(outputs) == sorted(signature["outputs"])
        for key, info in signature["outputs"].items():
            value = outputs[key]
            assert value.dtype.name == info["dtype"], key
            assert value.shape.rank == len(info["shape"]), key
            for got, documented in zip(value.shape, info["shape"]):
                assert documented is None or got == documented, (key, value.shape)
            if info["shape"][0] is None and path != DETECTOR:
                assert value.shape[0] == batch, key
            if value.dtype.is_floating:
                assert np.isfinite(value.numpy()).all(), key


@pytest.mark.parametrize("path", PATHS)
def test_trainable_variables_as_documented(standin, path):
    module = standin.loaded(path)
    scopes = INTERFACES[path].get("variable_scopes", [])
    for scope in scopes:
        assert any(name.startswith(scope + "/") for name in module.variable_map), scope
    if "trainable_scalars" in INTERFACES[path]:
        sizes = [int(np.prod(v.shape)) for v in module.trainable_variables]
        assert sum(sizes) == INTERFACES[path]["trainable_scalars"]


def test_weights_are_deterministic(standin, tmp_path):
    again = tmp_path / "i3d"
    again.mkdir()
    registry.get(f"standin/{I3D}").builder(again)
    first = tf.train.load_checkpoint(str(standin(I3D) / "variables" / "variables"))
    second = tf.train.load_checkpoint(str(again / "variables" / "variables"))
    names = sorted(first.get_variable_to_shape_map())
    assert names == sorted(second.get_variable_to_shape_map())
    assert "RGB/inception_i3d/Logits/Conv3d_0c_1x1/conv_3d/w" in names
    for name in names:
        np.testing.assert_array_equal(first.get_tensor(name), second.get_tensor(name))


@pytest.mark.parametrize("path", [INCEPTION, RESNET])
def test_train_graph_uses_batch_statistics(standin, path):
    images = tf.random.stateless_uniform(
        [2] + INTERFACES[path]["signatures"]["default"]["inputs"]["images"]["shape"][1:], [3, 4]
    )
    inference = standin.loaded(path)(images)
    training = standin.loaded(path, {"train"})(images)
    assert inference.shape == training.shape
    assert not np.allclose(inference.numpy(), training.numpy(), atol=1e-4)


def _one_step(module, variables, loss_fn, learning_rate=0.1):
    with tf.GradientTape() as tape:
        loss = loss_fn()
    grads = tape.gradient(loss, variables)
    assert all(g is not None for g in grads)
    assert any(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)
    for variable, grad in zip(variables, grads):
        variable.assign_sub(learning_rate * grad)


def test_resnet_fine_tunes_only_block4(standin):
    module = Module(standin(RESNET), trainable=True, tags={"train"})
    block4 = [v for v in module.trainable_variables if v.name.startswith("resnet_v2_50/block4/")]
    assert len(block4) < len(module.trainable_variables)
    assert {"weights:0", "gamma:0"} <= {v.name.split("/")[-1] for v in block4}
    before = {n: v.numpy().copy() for n, v in module.variable_map.items()}
    images = tf.random.stateless_uniform([2, 224, 224, 3], [5, 6])
    old = module(images).numpy()
    _one_step(module, block4, lambda: tf.reduce_sum(tf.square(module(images))))
    changed = {n for n, v in module.variable_map.items() if not np.array_equal(before[n], v)}
    assert changed and all(n.startswith("resnet_v2_50/block4/") for n in changed)
    assert not np.allclose(old, module(images).numpy())


def test_inception_gradients_reach_the_first_layer(standin):
    module = standin.loaded(INCEPTION)
    first = module.variable_map["InceptionV3/Conv2d_1a_3x3/weights"]
    with tf.GradientTape() as tape:
        logit = module(tf.random.stateless_uniform([2, 299, 299, 3], [7, 8]))[:, 0]
    grad = tape.gradient(logit, first)
    assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0


def test_elmo_fine_tunes_only_the_aggregation(standin):
    module = Module(standin(ELMO), trainable=True)
    names = sorted(v.name for v in module.trainable_variables)
    assert names == ["aggregation/scaling:0", "aggregation/weights:0"]
    text = tf.constant(["the cat sat on the mat", "dogs are in the fog"])
    old = module(text, as_dict=True)
    _one_step(
        module,
        module.trainable_variables,
        lambda: tf.reduce_sum(module(text, as_dict=True)["elmo"]),
    )
    new = module(text, as_dict=True)
    np.testing.assert_array_equal(old["lstm_outputs2"].numpy(), new["lstm_outputs2"].numpy())
    assert not np.allclose(old["elmo"].numpy(), new["elmo"].numpy())


def test_elmo_empty_strings_and_ragged_tokens(standin):
    module = standin.loaded(ELMO)
    out = module(tf.constant(["", "the  cat sat", "   "]), as_dict=True)
    assert out["sequence_len"].numpy().tolist() == [0, 3, 0]
    assert out["elmo"].shape == (3, 3, 1024)
    np.testing.assert_array_equal(out["default"].numpy()[[0, 2]], 0.0)
    np.testing.assert_array_equal(out["elmo"].numpy()[0], 0.0)
    assert np.abs(out["default"].numpy()[1]).sum() > 0
    empty = module(tf.constant(["", ""]), as_dict=True)
    assert empty["elmo"].shape == (2, 0, 1024)
    np.testing.assert_array_equal(empty["default"].numpy(), 0.0)

    tokens = tf.constant([["the", "cat", "sat"], ["café", "", ""]])
    ragged = module(
        {"tokens": tokens, "sequence_len": tf.constant([3, 1])}, signature="tokens", as_dict=True
    )
    alone = module(
        {"tokens": tf.constant([["café"]]), "sequence_len": tf.constant([1])},
        signature="tokens",
        as_dict=True,
    )
    for key in ("word_emb", "lstm_outputs1", "lstm_outputs2", "elmo"):
        np.testing.assert_allclose(ragged[key].numpy()[1, :1], alone[key].numpy()[0], atol=1e-5)
        np.testing.assert_array_equal(ragged[key].numpy()[1, 1:], 0.0)
    np.testing.assert_allclose(
        ragged["default"].numpy()[0], out["default"].numpy()[1], rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("size", [(48, 80), (131, 64)])
def test_detections_are_plausible(standin, size):
    module = standin.loaded(DETECTOR)
    image = tf.random.stateless_uniform([1, *size, 3], [9, size[0]])
    out = {k: v.numpy() for k, v in module(image, as_dict=True).items()}
    again = {k: v.numpy() for k, v in module(image, as_dict=True).items()}
    for key in out:
        np.testing.assert_array_equal(out[key], again[key])
    boxes, scores, labels = (
        out["detection_boxes"],
        out["detection_scores"],
        out["detection_class_labels"],
    )
    assert 0 < len(boxes) <= 100
    assert (boxes >= 0).all() and (boxes <= 1).all()
    assert (boxes[:, 0] < boxes[:, 2]).all() and (boxes[:, 1] < boxes[:, 3]).all()
    assert (scores >= 0).all() and (scores <= 1).all()
    assert (np.diff(scores) <= 0).all()
    assert ((labels >= 1) & (labels <= 600)).all()
    names = faster_rcnn.class_names()
    assert [n.decode() for n in out["detection_class_names"]] == [names[i - 1] for i in labels]
    assert all(e.startswith(b"/m/") for e in out["detection_class_entities"])


def test_detector_takes_one_image_per_call(standin):
    from hubmodels.errors import InputError

    with pytest.raises(InputError, match="images"):
        standin.loaded(DETECTOR)(tf.zeros([2, 32, 32, 3]))


@pytest.mark.parametrize("frames", [1, 5])
def test_i3d_takes_any_number_of_frames(standin, frames):
    clips = tf.random.stateless_uniform([2, frames, 224, 224, 3], [frames, 1])
    assert standin.loaded(I3D)(clips).shape == (2, 400)


def test_progan_images(standin):
    module = standin.loaded(PROGAN)
    latents = tf.random.stateless_normal([3, 512], [1, 1])
    images = module(latents).numpy()
    assert images.min() >= 0 and images.max() <= 1 and images.std() > 0.05
    assert not np.allclose(images[0], images[1])
    np.testing.assert_array_equal(images, module(latents).numpy())


@pytest.mark.slow
def test_all_standins_build_quickly(standin):
    for path in PATHS:
        standin(path)
    total = sum(standin.seconds.values())
    report = ", ".join(f"{p.split('/')[-2]} {s:.1f}s" for p, s in standin.seconds.items())
    print(f"stand-in build times: {report}; total {total:.1f}s")
    assert total < 120, report
