"""Which module variables to fine-tune, from the user's `unfreeze` argument.

unfreeze may be:
  None or False   nothing (the module stays frozen);
  True or "all"   every trainable variable of the module;
  an int N        the last N blocks (see `blocks`);
  a string        a block scope from `blocks`, a scope ("block4", "resnet_v2_50/block4":
                  whole name components) or, when neither matches, a regular expression
                  searched in the name;
  a list          the union of its items.
"""

import re

from hubmodels.errors import InputError

# A block is named by the start of one name component, up to "_" or its end. The group
# is the block's index in the network; blocks are ordered by it, numbers as numbers.
_BLOCK = re.compile(
    r"^(?:"
    r"expanded_conv(?:_(\d+))?"  # MobileNet V2/V3: expanded_conv, expanded_conv_3
    r"|block_?(\d+[a-z]?)"  # ResNet slim block4, EfficientNet block7a, MobileNetV2 Keras block_16
    r"|blocks_(\d+)"  # EfficientNet TF Hub: blocks_15
    r"|conv(\d+_block\d+)"  # ResNet Keras: conv4_block1_1_conv
    r"|encoderblock_(\d+)"  # ViT: Transformer/encoderblock_11
    r"|layer_?(\d+)"  # BERT and other transformers: encoder/layer_11, transformer/layer_5
    r"|stage_?(\d+)"
    r"|Mixed_(\d+[a-z]?)"  # Inception, I3D: Mixed_6a
    r"|Conv[23]d_(\d+[a-z]?)"  # Inception stem Conv2d_4a_3x3, MobileNet V1 Conv2d_13_pointwise
    r")(?=_|$)"
)
_SHOWN = 10


def _block_of(name: str):
    """(parent scope, block scope, order key) of the first block-named component, or None."""
    parts = name.split("/")
    for i, part in enumerate(parts[:-1]):
        found = _BLOCK.match(part)
        if found:
            index = next((g for g in found.groups() if g is not None), "")
            key = tuple(int(t) if t.isdigit() else t for t in re.findall(r"\d+|\D+", index))
            parent = "/".join(parts[:i])
            return parent, "/".join(parts[:i] + [found.group(0)]), key
    return None


def blocks(names) -> list:
    """Block scopes (e.g. "resnet_v2_50/block4", "block6a"), in the network's order.

    Blocks are the block-named components under the one scope that has the most of them
    (so "InceptionV3/Mixed_7c" counts, "InceptionV3/Logits/Conv2d_1c_1x1" does not),
    ordered by their index: layer_9 before layer_10, expanded_conv before expanded_conv_1.
    """
    by_parent = {}
    for name in names:
        block = _block_of(name)
        if block:
            parent, scope, key = block
            by_parent.setdefault(parent, {})[scope] = key
    if not by_parent:
        return []
    keys = max(by_parent.values(), key=len)
    return sorted(keys, key=keys.get)


def _in_blocks(names, scopes) -> list:
    """The names inside the block scopes `scopes` (as `blocks` gives them)."""
    chosen = set(scopes)
    return [n for n in names if (block := _block_of(n)) and block[1] in chosen]


def _top_scopes(names) -> str:
    """The scopes under the names' common root, e.g. "InceptionV3/Logits, InceptionV3/Mixed_5b"."""
    paths = [p for p in (n.split("/")[:-1] for n in names) if p]
    depth = 1
    while len({tuple(p[:depth]) for p in paths}) == 1 and all(len(p) > depth for p in paths):
        depth += 1
    scopes = sorted({"/".join(p[:depth]) for p in paths})
    shown = ", ".join(scopes[:_SHOWN]) + (", ..." if len(scopes) > _SHOWN else "")
    return f"its top scopes: {shown or 'none'}"


def _matches_scope(name: str, scope: str) -> bool:
    parts, wanted = name.split("/"), scope.strip("/").split("/")
    return any(parts[i : i + len(wanted)] == wanted for i in range(len(parts) - len(wanted) + 1))


def select(names, unfreeze) -> list:
    """The subset of `names` (variable names, in module order) that `unfreeze` selects."""
    names = list(names)
    if unfreeze is None or unfreeze is False:
        return []
    if unfreeze is True or unfreeze == "all":
        return names
    if isinstance(unfreeze, int):
        found = blocks(names)
        if unfreeze < 0 or unfreeze > len(found):
            listed = ", ".join(s.split("/")[-1] for s in found)
            raise InputError(
                f"unfreeze={unfreeze}: the module has {len(found)} blocks "
                f"({listed or 'none found; ' + _top_scopes(names) + '; name a scope instead'})"
            )
        return _in_blocks(names, found[len(found) - unfreeze :])
    patterns = [unfreeze] if isinstance(unfreeze, str) else list(unfreeze)
    selected = set()
    for pattern in patterns:
        if isinstance(pattern, int) or pattern is True:
            selected.update(select(names, pattern))
            continue
        hits = _in_blocks(names, [pattern]) or [n for n in names if _matches_scope(n, pattern)]
        if not hits:
            try:
                regex = re.compile(pattern)
            except re.error as err:
                raise InputError(
                    f"unfreeze pattern {pattern!r} is not a scope or regex: {err}"
                ) from None
            hits = [n for n in names if regex.search(n)]
        if not hits:
            found = blocks(names)
            example = f"blocks: {', '.join(found[-3:])}" if found else _top_scopes(names)
            raise InputError(
                f"unfreeze pattern {pattern!r} matches no variable of the module (e.g. {example})"
            )
        selected.update(hits)
    return [n for n in names if n in selected]
