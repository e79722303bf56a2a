"""Which module variables a factory fine-tunes, from its `unfreeze` argument."""

from hubmodels.errors import InputError
from hubmodels.hub import unfreeze as unfreezing
from hubmodels.hub.backends import variable_name


def unfrozen_names(module, unfreeze) -> list:
    """The module variables `unfreeze` selects; InputError when the module has none to train."""
    names = [variable_name(v) for v in module.fine_tunable_variables]
    if not names:
        raise InputError(
            f"unfreeze={unfreeze!r}: module {module.handle} marks none of its "
            f"{len(module.variables)} variables trainable, so nothing can be fine-tuned"
        )
    return unfreezing.select(names, unfreeze)
