"""`TaskModel`: the functional tf-keras model that every task factory returns.

Beyond keras.Model it knows which weights belong to Hub modules, so it can
give them their own optimizer (per-group learning rates), train a part of them
(gradual unfreezing), and train its head alone on a frozen module's outputs
(training.cached). It also carries `class_names` and `multi_label`.
"""

import contextlib

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.backends import variable_name
from hubmodels.hub.layers import is_module_layer
from hubmodels.tasks import objectives


class _StepState:
    """What the train and test steps are traced with besides the weights, kept out of Keras'
    tracking; changing it makes the next step trace anew.

    unfrozen: names of the module variables that train (gradual unfreezing), or None for
      every unfrozen one.
    head: the "head" layer while the steps start from module outputs, else None.
    """

    def __init__(self):
        self.unfrozen = None
        self.head = None


class TaskModel(keras.Model):
    """A functional model: TaskModel(inputs, outputs, task="image", class_names=..., ...).

    task: the name of its task package (hubmodels.tasks), which serves its exports.
    class_names: one per output (checked); multi_label: sigmoid outputs, several labels.

    Its train step is Keras' own unless the module weights have their own optimizer
    (`module_optimizer`) or gradual unfreezing trains a part of them (`set_unfrozen`).
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
        self._steps = _StepState()

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
        self.set_module_optimizer(module_optimizer)

    def set_module_optimizer(self, optimizer) -> None:
        """Gives the module weights their own optimizer (None: the model's optimizer)."""
        self.module_optimizer = keras.optimizers.get(optimizer) if optimizer else None
        self._retrace()

    def set_unfrozen(self, names) -> None:
        """Trains only the module variables named in `names` (a set of names, as
        hub.backends.variable_name gives them); the others keep their values and their
        optimizer state. None: every unfrozen module variable trains, as without
        gradual unfreezing."""
        unfrozen = None if names is None else frozenset(names)
        if unfrozen != self._steps.unfrozen:
            self._steps.unfrozen = unfrozen
            self._build_optimizers()
            self._retrace()

    @contextlib.contextmanager
    def steps_on_features(self):
        """Within it, fit and evaluate take the module's outputs, features [batch, d], for x
        and run only the "head" layer on them; weights, optimizer, metrics, callbacks and
        History stay this model's. Only for a frozen module (see training.cached)."""
        self._steps.head = self.get_layer("head")
        self._build_optimizers()
        self._retrace()
        try:
            yield self
        finally:
            self._steps.head = None
            self._retrace()

    def _retrace(self) -> None:
        """Makes the next step trace anew: what the step is traced with has changed."""
        if self.train_function is not None:
            self.make_train_function(force=True)
        self.test_function = None

    def _build_optimizers(self) -> None:
        """Gives the optimizers slots for all the variables they may update, before a step
        updates only some of them (they would refuse the others later)."""
        if self.optimizer is None:
            return
        module_ids = {id(v) for v in self.module_variables()}
        groups = [(self.optimizer, self.trainable_variables)]
        if self.module_optimizer is not None:
            groups = [
                (self.optimizer, [v for v in self.trainable_variables if id(v) not in module_ids]),
                (self.module_optimizer, self.module_variables()),
            ]
        for optimizer, variables in groups:
            if hasattr(optimizer, "build"):  # legacy optimizers make slots as they go
                optimizer.build(variables)

    def train_step(self, data):
        """Keras' own step, unless the step runs the head alone, gradual unfreezing trains a
        part of the module, or the module weights have their own optimizer."""
        steps = self._steps
        if steps.head is None and steps.unfrozen is None and self.module_optimizer is None:
            return super().train_step(data)
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        forward = steps.head or self
        module_ids = {id(v) for v in self.module_variables()}
        variables = [
            v
            for v in forward.trainable_variables
            if id(v) not in module_ids
            or steps.unfrozen is None
            or variable_name(v) in steps.unfrozen
        ]
        with tf.GradientTape() as tape:
            y_pred = forward(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        pairs = [
            (gradient, variable)
            for gradient, variable in zip(tape.gradient(loss, variables), variables)
            if gradient is not None
        ]
        if self.module_optimizer is None:
            self.optimizer.apply_gradients(pairs)
        else:
            self.optimizer.apply_gradients([p for p in pairs if id(p[1]) not in module_ids])
            module_pairs = [p for p in pairs if id(p[1]) in module_ids]
            if module_pairs:
                self.module_optimizer.apply_gradients(module_pairs)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        if self._steps.head is None:
            return super().test_step(data)
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self._steps.head(x, training=False)
        self.compute_loss(x, y, y_pred, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight)
