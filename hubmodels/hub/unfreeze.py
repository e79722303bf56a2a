"""Which module variables to fine-tune, from the user's `unfreeze` argument.

unfreeze may be:
  None or False   nothing (the module stays frozen);
  True or "all"   every trainable variable of the module;
  an int N        the last N blocks (blocks are found in variable names, see `blocks`);
  a string        a scope ("block4", "resnet_v2_50/block4": whole name components) or,
                  when no component matches, a regular expression searched in the name;
  a list          the union of its items.
"""

import re

from hubmodels.errors import InputError

_BLOCK = re.compile(r"^(block\d+[a-z]?|blocks?_\d+|Mixed_\w+|stage\d+|layer\d+|Conv2d_\d+\w*)$")


def _matches_scope(name: str, scope: str) -> bool:
    parts, wanted = name.split("/"), scope.strip("/").split("/")
    return any(parts[i : i + len(wanted)] == wanted for i in range(len(parts) - len(wanted) + 1))


def blocks(names) -> list:
    """Block scopes (e.g. "resnet_v2_50/block4") in the order variables first use them."""
    found = []
    for name in names:
        parts = name.split("/")
        for i, part in enumerate(parts[:-1]):
            if _BLOCK.match(part):
                scope = "/".join(parts[: i + 1])
                if scope not in found:
                    found.append(scope)
                break
    return found


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
            raise InputError(
                f"unfreeze={unfreeze}: the module has {len(found)} blocks "
                f"({', '.join(s.split('/')[-1] for s in found) or 'none found'})"
            )
        chosen = found[len(found) - unfreeze :]
        return [n for n in names if any(_matches_scope(n, s) for s in chosen)]
    patterns = [unfreeze] if isinstance(unfreeze, str) else list(unfreeze)
    selected = set()
    for pattern in patterns:
        if isinstance(pattern, int) or pattern is True:
            selected.update(select(names, pattern))
            continue
        hits = [n for n in names if _matches_scope(n, pattern)]
        if not hits:
            try:
                regex = re.compile(pattern)
            except re.error as err:
                raise InputError(
                    f"unfreeze pattern {pattern!r} is not a scope or regex: {err}"
                ) from None
            hits = [n for n in names if regex.search(n)]
        if not hits:
            example = ", ".join(blocks(names)[-3:]) or (names[0] if names else "none")
            raise InputError(
                f"unfreeze pattern {pattern!r} matches no variable of the module "
                f"(e.g. scopes: {example})"
            )
        selected.update(hits)
    return [n for n in names if n in selected]
