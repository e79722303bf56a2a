"""`TaskModel`: the functional tf-keras model that every task factory returns.

Beyond keras.Model it knows which weights belong to Hub modules, so it can
give them their own optimizer (per-group learning rates) and gate them for
gradual unfreezing. It also carries `class_names` and `multi_label`.
"""

from hubmodels._keras import keras, tf
from hubmodels.hub.backends import variable_name
from hubmodels.hub.layer import ModuleLayer


class _Gates:
    """0/1 multipliers of module gradients, kept out of Keras' weight tracking."""

    def __init__(self):
        self.by_name = {}


class TaskModel(keras.Model):
    """A functional model: TaskModel(inputs, outputs, class_names=..., multi_label=...)."""

    def __init__(self, *args, class_names=None, multi_label=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_names = list(class_names) if class_names else None
        self.multi_label = multi_label
        self.module_optimizer = None
        self._gates = _Gates()

    def module_layers(self) -> list:
        return [layer for layer in self.layers if isinstance(layer, ModuleLayer)]

    def module_variables(self) -> list:
        """Module weights that train (the unfrozen ones)."""
        return [
            w for layer in self.module_layers() if layer.trainable for w in layer.trainable_weights
        ]

    def compile(self, optimizer="rmsprop", *args, module_optimizer=None, **kwargs):
        """keras.Model.compile, plus an optional optimizer for the module weights."""
        super().compile(optimizer, *args, **kwargs)
        self.module_optimizer = keras.optimizers.get(module_optimizer) if module_optimizer else None

    def set_unfrozen(self, names) -> None:
        """Gates module gradients: only variables named in `names` update (None: all)."""
        for variable in self.module_variables():
            name = variable_name(variable)
            gate = self._gates.by_name.get(name)
            if gate is None:
                with tf.init_scope():
                    gate = tf.Variable(1.0, trainable=False, name=f"gate/{name}")
                self._gates.by_name[name] = gate
            gate.assign(1.0 if names is None or name in names else 0.0)

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        module_ids = {id(v) for v in self.module_variables()}
        head_pairs, module_pairs = [], []
        for gradient, variable in zip(gradients, variables):
            if gradient is None:
                continue
            if id(variable) not in module_ids:
                head_pairs.append((gradient, variable))
                continue
            gate = self._gates.by_name.get(variable_name(variable))
            if gate is not None:
                gradient = tf.convert_to_tensor(gradient) * gate
            module_pairs.append((gradient, variable))
        if self.module_optimizer is None:
            self.optimizer.apply_gradients(head_pairs + module_pairs)
        else:
            self.optimizer.apply_gradients(head_pairs)
            if module_pairs:
                self.module_optimizer.apply_gradients(module_pairs)
        return self.compute_metrics(x, y, y_pred, sample_weight)
