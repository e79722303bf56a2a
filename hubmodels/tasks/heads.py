"""Heads that sit on a module's features: dense (softmax or sigmoid) and BiLSTM."""

from hubmodels._keras import keras


def dense_head(
    num_classes: int,
    multi_label: bool = False,
    dropout: float = 0.2,
    hidden_units=(),
    name: str = "head",
) -> keras.Sequential:
    """features [batch, d] -> probabilities [batch, num_classes].

    Softmax for one label per example, sigmoid for multi-label; optional
    hidden ReLU layers (`hidden_units`, e.g. (256,)) and dropout before each dense layer.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    layers = []
    for i, units in enumerate(hidden_units):
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name=f"{name}_dropout_{i}"))
        layers.append(keras.layers.Dense(units, activation="relu", name=f"{name}_hidden_{i}"))
    if dropout:
        layers.append(keras.layers.Dropout(dropout, name=f"{name}_dropout"))
    activation = "sigmoid" if multi_label else "softmax"
    layers.append(keras.layers.Dense(num_classes, activation=activation, name=f"{name}_probs"))
    return keras.Sequential(layers, name=name)
