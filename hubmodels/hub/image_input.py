"""The image size a module's input declares."""

from hubmodels.errors import InputError


def image_size_of(module, signature=None):
    """(height, width) of a Module's image input [batch, h, w, 3]; None if any size goes."""
    infos = module.get_input_info_dict(signature)
    info = infos.get("images") or next(iter(infos.values()))
    if info.shape.rank != 4:
        raise InputError(
            f"module {module.handle} does not take images: its input is {info} "
            "(expected [batch, height, width, 3])"
        )
    height, width = info.shape.as_list()[1:3]
    return None if height is None or width is None else (height, width)
