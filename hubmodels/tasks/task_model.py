"""`TaskModel`: the functional tf-keras model that every task factory returns.

Beyond keras.Model it knows which weights belong to Hub modules, so it can
give them their own optimizer (per-group learning rates) and gate them for
gradual unfreezing. It also carries `class_names` and `multi_label`.
"""

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.backends import variable_name
from hubmodels.hub.layers import is_module_layer
from hubmodels.tasks import objectives


class _Gates:
    """0/1 multipliers of module gradients, kept out of Keras' weight tracking."""

    def __init__(self):
        self.by_name = {}


class TaskModel(keras.Model):
    """A functional model: TaskModel(inputs, outputs, task="image", class_names=..., ...).

    task: the name of its task package (hubmodels.tasks), which serves its exports.
    class_names: one per output (checked); multi_label: sigmoid outputs, several labels.
    """

    def __init__(self, *args, task, class_names=None, multi_label=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        num_outputs = self.outputs[0].shape[-1]
        if class_names is not None and len(class_names) != num_outputs:
            raise InputError(
                f"{len(class_names)} class names given for a model with {num_outputs} outputs: "
                f"give one name per class ({list(class_names)[:5]}...)"
            )
        self.class_names = list(class_names) if class_names else None
        self.multi_label = multi_label
        self.module_optimizer = None
        self._gates = _Gates()

    def module_layers(self) -> list:
        return [layer for layer in self.layers if is_module_layer(layer)]

    def module_variables(self) -> list:
        """Module weights that train (the unfrozen ones)."""
        return [
            w for layer in self.module_layers() if layer.trainable for w in layer.trainable_weights
        ]

    def trains_module(self) -> bool:
        """Whether any module weight trains (False: the module is frozen)."""
        return bool(self.module_variables())

    def loss_and_metrics(self) -> tuple:
        """The task's default loss and metrics (classification: cross-entropy, accuracy)."""
        num_classes = int(self.outputs[0].shape[-1])
        return (
            objectives.classification_loss(self.multi_label),
            objectives.classification_metrics(num_classes, self.multi_label),
        )

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
