"""unfreeze: blocks of each family of networks, in the network's order; scopes, regexes, errors.

The name lists follow the variable names of the real modules (TF-Slim and Keras applications
as published on TF Hub), in the alphabetical order in which TF1 modules list them.
"""

import pytest

from hubmodels.errors import InputError
from hubmodels.hub import unfreeze


def _mobilenet_v2_slim():
    names = ["MobilenetV2/Conv/weights", "MobilenetV2/Conv/BatchNorm/gamma"]
    for i in range(17):
        scope = "MobilenetV2/expanded_conv" + (f"_{i}" if i else "")
        names += [f"{scope}/depthwise/depthwise_weights", f"{scope}/project/weights"]
        names += [f"{scope}/expand/weights"] if i else []
    names += ["MobilenetV2/Conv_1/weights", "MobilenetV2/Logits/Conv2d_1c_1x1/weights"]
    return sorted(names)


def _mobilenet_v2_keras():
    names = ["Conv1/kernel", "bn_Conv1/gamma", "expanded_conv_depthwise/depthwise_kernel"]
    names += ["expanded_conv_depthwise_BN/gamma", "expanded_conv_project/kernel"]
    for i in range(1, 17):
        names += [f"block_{i}_expand/kernel", f"block_{i}_depthwise/depthwise_kernel"]
        names += [f"block_{i}_project/kernel", f"block_{i}_project_BN/gamma"]
    return sorted(names + ["Conv_1/kernel", "Conv_1_bn/gamma", "predictions/kernel"])


def _vit():
    names = ["embedding/kernel", "cls", "Transformer/posembed_input/pos_embedding"]
    for i in range(12):
        scope = f"Transformer/encoderblock_{i}"
        names += [f"{scope}/LayerNorm_0/scale", f"{scope}/MlpBlock_3/Dense_0/kernel"]
        names += [f"{scope}/MultiHeadDotProductAttention_1/query/kernel"]
    return sorted(names + ["Transformer/encoder_norm/scale", "head/kernel"])


def _resnet_v2_slim():
    names = ["resnet_v2_50/conv1/weights", "resnet_v2_50/postnorm/gamma"]
    for block, units in zip(range(1, 5), (3, 4, 6, 3)):
        for unit in range(1, units + 1):
            scope = f"resnet_v2_50/block{block}/unit_{unit}/bottleneck_v2"
            names += [f"{scope}/conv1/weights", f"{scope}/preact/gamma"]
    return sorted(names + ["resnet_v2_50/logits/weights"])


def _resnet_keras():
    names = ["conv1_conv/kernel", "conv1_bn/gamma"]
    for stage, units in zip(range(2, 6), (3, 4, 6, 3)):
        for unit in range(1, units + 1):
            names += [
                f"conv{stage}_block{unit}_1_conv/kernel",
                f"conv{stage}_block{unit}_3_bn/beta",
            ]
        names += [f"conv{stage}_block1_0_conv/kernel"]
    return sorted(names + ["predictions/kernel"])


_INCEPTION_STEM = [
    "Conv2d_1a_3x3",
    "Conv2d_2a_3x3",
    "Conv2d_2b_3x3",
    "Conv2d_3b_1x1",
    "Conv2d_4a_3x3",
]
_INCEPTION_MIXED = [f"Mixed_{b}" for b in "5b 5c 5d 6a 6b 6c 6d 6e 7a 7b 7c".split()]


def _inception_v3():
    names = [f"InceptionV3/{s}/weights" for s in _INCEPTION_STEM]
    for scope in _INCEPTION_MIXED:
        names += [f"InceptionV3/{scope}/Branch_0/Conv2d_0a_1x1/weights"]
        names += [f"InceptionV3/{scope}/Branch_1/Conv2d_0b_3x3/BatchNorm/beta"]
    names += [
        "InceptionV3/AuxLogits/Conv2d_1b_1x1/weights",
        "InceptionV3/AuxLogits/Conv2d_2a_5x5/weights",
    ]
    return sorted(names + ["InceptionV3/Logits/Conv2d_1c_1x1/weights"])


_EFFICIENTNET_BLOCKS = ["1a", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "5c"]
_EFFICIENTNET_BLOCKS += ["6a", "6b", "6c", "6d", "7a"]


def _efficientnet_lite():
    names = ["efficientnet_lite0/stem/conv/kernel", "efficientnet_lite0/head/conv/kernel"]
    for block in _EFFICIENTNET_BLOCKS:
        names += [f"efficientnet_lite0/block{block}/depthwise/conv/depthwise_kernel"]
        names += [f"efficientnet_lite0/block{block}/project/bn/gamma"]
    return sorted(names + ["efficientnet_lite0/logits/kernel"])


def _efficientnet_keras():
    names = ["stem_conv/kernel", "stem_bn/gamma", "top_conv/kernel", "top_bn/gamma"]
    for block in _EFFICIENTNET_BLOCKS:
        names += [f"block{block}_dwconv/depthwise_kernel", f"block{block}_se_reduce/kernel"]
        names += [f"block{block}_expand_conv/kernel"] if block != "1a" else []
    return sorted(names)


def _bert(root):
    names = [f"{root}/embeddings/word_embeddings", f"{root}/embeddings/LayerNorm/gamma"]
    for i in range(12):
        names += [f"{root}/layer_{i}/self_attention/query/kernel"]
        names += [f"{root}/layer_{i}/intermediate/kernel", f"{root}/layer_{i}/output/bias"]
    return sorted(names + ["pooler_transform/kernel"])


FAMILIES = {
    "mobilenet_v2_slim": (
        _mobilenet_v2_slim(),
        ["MobilenetV2/expanded_conv"] + [f"MobilenetV2/expanded_conv_{i}" for i in range(1, 17)],
    ),
    "mobilenet_v2_keras": (
        _mobilenet_v2_keras(),
        ["expanded_conv"] + [f"block_{i}" for i in range(1, 17)],
    ),
    "vit": (_vit(), [f"Transformer/encoderblock_{i}" for i in range(12)]),
    "resnet_v2_slim": (_resnet_v2_slim(), [f"resnet_v2_50/block{i}" for i in range(1, 5)]),
    "resnet_keras": (
        _resnet_keras(),
        [f"conv{s}_block{u}" for s, n in zip(range(2, 6), (3, 4, 6, 3)) for u in range(1, n + 1)],
    ),
    "inception_v3": (
        _inception_v3(),
        [f"InceptionV3/{s.rsplit('_', 1)[0]}" for s in _INCEPTION_STEM]
        + [f"InceptionV3/{s}" for s in _INCEPTION_MIXED],
    ),
    "efficientnet_lite": (
        _efficientnet_lite(),
        [f"efficientnet_lite0/block{b}" for b in _EFFICIENTNET_BLOCKS],
    ),
    "efficientnet_keras": (_efficientnet_keras(), [f"block{b}" for b in _EFFICIENTNET_BLOCKS]),
    "bert_encoder": (_bert("bert/encoder"), [f"bert/encoder/layer_{i}" for i in range(12)]),
    "bert_transformer": (_bert("transformer"), [f"transformer/layer_{i}" for i in range(12)]),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_blocks_of_each_family_in_network_order(family):
    names, expected = FAMILIES[family]
    assert unfreeze.blocks(names) == expected


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_last_block_selects_exactly_its_variables(family):
    names, expected = FAMILIES[family]
    last = expected[-1].split("/")[-1]
    selected = unfreeze.select(names, 1)
    in_last = [n for n in names if any(p == last or p.startswith(last + "_") for p in n.split("/"))]
    assert selected == in_last and selected


def test_numbers_order_as_numbers():
    names = _bert("transformer")  # listed layer_0, layer_1, layer_10, layer_11, layer_2, ...
    assert {n.split("/")[1] for n in unfreeze.select(names, 3)} == {
        "layer_9",
        "layer_10",
        "layer_11",
    }
    first = unfreeze.select(_mobilenet_v2_slim(), ["MobilenetV2/expanded_conv"])
    assert {n.split("/")[1] for n in first} == {"expanded_conv"}


def test_a_keras_block_is_a_scope_of_its_own():
    names = _efficientnet_keras()
    assert unfreeze.select(names, "block6a") == [n for n in names if n.startswith("block6a_")]
    assert unfreeze.select(names, "expanded_conv|block7a") == [
        n for n in names if n.startswith("block7a_")
    ]


def test_scope_regex_list_and_all():
    names = _resnet_v2_slim()
    block4 = [n for n in names if "/block4/" in n]
    assert unfreeze.select(names, "block4") == block4
    assert unfreeze.select(names, "resnet_v2_50/block4") == block4
    assert unfreeze.select(names, r"unit_3/.*/conv1") == [
        n for n in names if "unit_3/" in n and "conv1" in n
    ]
    assert unfreeze.select(names, ["logits", 1]) == [
        n for n in names if "/block4/" in n or "logits" in n
    ]
    assert unfreeze.select(names, True) == unfreeze.select(names, "all") == names
    assert unfreeze.select(names, None) == unfreeze.select(names, False) == []


def test_no_blocks_lists_the_top_scopes():
    names = ["net/encoder/dense_0/kernel", "net/encoder/dense_1/kernel", "net/head/kernel"]
    assert unfreeze.blocks(names) == []
    with pytest.raises(InputError, match=r"unfreeze=1: the module has 0 blocks") as caught:
        unfreeze.select(names, 1)
    assert "its top scopes: net/encoder, net/head" in str(caught.value)
    with pytest.raises(InputError, match="'nothing' matches no variable.*net/encoder, net/head"):
        unfreeze.select(names, "nothing")


def test_too_many_blocks_and_bad_patterns():
    names = _resnet_v2_slim()
    with pytest.raises(
        InputError, match=r"the module has 4 blocks \(block1, block2, block3, block4\)"
    ):
        unfreeze.select(names, 5)
    with pytest.raises(InputError, match="not a scope or regex"):
        unfreeze.select(names, "block(")
    with pytest.raises(InputError, match=r"matches no variable .*blocks: .*block4"):
        unfreeze.select(names, "block9")
