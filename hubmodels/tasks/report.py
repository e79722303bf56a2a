"""What trains in a model: the module variables each module layer fine-tunes."""

from hubmodels.hub.layers import is_module_layer


def trainable_report(model) -> dict:
    """{module layer name: [names of the module variables that train]} ([] when frozen)."""
    return {
        layer.name: list(layer.module_trainable_names) if layer.trainable else []
        for layer in model.layers
        if is_module_layer(layer)
    }
