"""`ModuleLayer`: one signature of a `Module` as a tf-keras layer.

    layer = ModuleLayer("hubmodels://standin/google/imagenet/resnet_v2_50/feature_vector/1",
                        trainable=True, trainable_filter=lambda name: "block4" in name)
    features = layer(images)   # float32 [batch, 224, 224, 3] -> [batch, 2048]

This is the adapter for TF1 Hub modules and TF1 SavedModels (TF2 SavedModels get a
hub.KerasLayer, see hub.layers.module_layer): unlike hub.KerasLayer it fine-tunes them,
and it can train a chosen subset of the module's variables (the rest stay frozen).
"""

from hubmodels._keras import keras
from hubmodels.hub import card
from hubmodels.hub.backends import variable_name
from hubmodels.hub.module import Module, select_output


class ModuleLayer(keras.layers.Layer):
    """Calls `module(inputs, signature)` and returns one output (or all, as_dict=True).

    Args:
      module: a Module or a handle.
      signature: signature name; None for the module's default.
      output_key: which output; None for `default` (or the only one).
      as_dict: return every output of the signature as a dict.
      trainable: train the module's trainable variables (those kept by
        `trainable_filter(name)` when given).
      tags: TF1 tag set when `module` is a handle, e.g. {"train"}.
      module_training: run a reusable TF2 module in training mode while the
        model trains (batch norm on batch statistics, moving averages updated).
        False (default) keeps batch-norm statistics frozen during fine-tuning.
    """

    def __init__(
        self,
        module,
        signature=None,
        output_key=None,
        as_dict=False,
        trainable=False,
        trainable_filter=None,
        tags=None,
        module_training=False,
        **kwargs,
    ):
        super().__init__(trainable=trainable, **kwargs)
        if not isinstance(module, Module):
            module = Module(module, trainable=trainable, tags=tags)
        self.module = module
        self.signature = signature or module.default_signature_name()
        self.output_key = output_key
        self.as_dict = as_dict
        self.module_training = module_training
        self._tags = None if tags is None else sorted(tags)
        module.signature_info(self.signature)  # fails early on an unknown signature
        # Tracked, so that the module's variables, tables and assets are saved with the model.
        self.loaded_object = module.loaded_object
        self.required_packages = tuple(card.read(module.path).get("requires", []))
        candidates = {id(v) for v in module.fine_tunable_variables}
        self.module_trainable_names = []
        for variable in module.variables:
            name = variable_name(variable)
            train = id(variable) in candidates and (
                trainable_filter is None or bool(trainable_filter(name))
            )
            if train:
                self.module_trainable_names.append(name)
            self.add_weight(
                name=name,
                shape=variable.shape,
                dtype=variable.dtype,
                trainable=train,
                experimental_autocast=False,
                getter=lambda *_, v=variable, **__: v,
            )

    @property
    def handle(self) -> str:
        return self.module.handle

    def call(self, inputs, training=None):
        training = bool(training) and self.trainable and self.module_training
        outputs = self.module(inputs, signature=self.signature, as_dict=True, training=training)
        if self.as_dict:
            return outputs
        info = self.module.signature_info(self.signature)
        return select_output(info, outputs, self.output_key, self.module.handle)

    def get_config(self):
        config = super().get_config()
        config.update(
            module=self.module.handle,
            signature=self.signature,
            output_key=self.output_key,
            as_dict=self.as_dict,
            tags=self._tags,
        )
        return config
