"""`HubKerasLayer`: `hub.KerasLayer` for TF2 SavedModels, training a chosen subset of variables.

    layer = HubKerasLayer("hubmodels://efficientnet_lite0/feature_vector", trainable=True,
                          trainable_names=["efficientnet_lite0/block7a/project_conv/kernel"])
    features = layer(images)   # float32 [batch, 224, 224, 3] in [0, 1] -> [batch, 1280]

It is a `hub.KerasLayer`: isinstance holds, `model.summary()` shows it, and `model.save`
writes it so that `tf_keras.models.load_model(path)` revives it from the saved graph (the
module need not exist there), or, with `custom_objects={"KerasLayer": hub.KerasLayer,
"HubKerasLayer": HubKerasLayer}`, rebuilds it from its handle. It is deliberately not
registered with Keras, so that hubmodels.load_model never needs the module. What it adds:
  trainable_names: the module variables that train when the layer is trainable (None: those
    in the module's `trainable_variables`, as hub.KerasLayer does); the others stay frozen.
  module_training: whether the module runs in training mode while the model trains (batch
    norm on batch statistics, moving averages updated). hub.KerasLayer always does;
    False keeps the statistics frozen while weights fine-tune.
  a signature may be fine-tuned too (TF2 signatures pass gradients to their variables).
TF1 Hub modules cannot be fine-tuned by hub.KerasLayer; see hub.layer.ModuleLayer for them.
"""

import tensorflow_hub as hub

from hubmodels.hub.backends import captured_variables, variable_name


class HubKerasLayer(hub.KerasLayer):
    """hub.KerasLayer(handle, ...) plus `trainable_names` and `module_training`.

    loaded: the object `hub.load(handle)` returns, when the caller already loaded it (it is
      then not loaded again); the config keeps `handle`.
    required_packages: packages the module's ops need (its card's `requires`), which an
      export records.
    Other arguments as for hub.KerasLayer.
    """

    def __init__(
        self,
        handle,
        trainable=False,
        trainable_names=None,
        module_training=True,
        loaded=None,
        required_packages=(),
        **kwargs,
    ):
        # Read by _add_existing_weight, which hub.KerasLayer.__init__ calls.
        self._trainable_filter = None if trainable_names is None else set(trainable_names)
        self.module_training = bool(module_training)
        self.module_trainable_names = []
        self.required_packages = tuple(required_packages)
        # A key into nested outputs ("encoder_outputs/1") is followed here; hub.KerasLayer
        # knows only top-level keys.
        self._output_path = None
        output_key = kwargs.get("output_key")
        if output_key is not None and "/" in output_key:
            self._output_path = output_key.split("/")
            kwargs["output_key"] = None
            kwargs["signature_outputs_as_dict"] = bool(kwargs.get("signature")) or None
        use_loaded = loaded is not None and callable(loaded) and "tags" not in kwargs
        super().__init__(loaded if use_loaded else handle, trainable=trainable, **kwargs)
        self._handle = str(handle)
        if not hasattr(self._func, "variables"):
            # Not a reusable SavedModel: hub.KerasLayer found no variables; take those its
            # functions use, so that they can train and be saved.
            for variable in captured_variables(self._func):
                self._add_existing_weight(variable, trainable=variable.trainable)

    @property
    def handle(self) -> str:
        return self._handle

    @property
    def signature(self):
        """The signature called; None for the module's __call__."""
        return self._signature

    @property
    def output_key(self):
        return "/".join(self._output_path) if self._output_path else self._output_key

    def _add_existing_weight(self, weight, trainable=None):
        name = variable_name(weight)
        if self._trainable_filter is not None:
            # The names decide, also for modules without a `trainable_variables` attribute.
            trainable = name in self._trainable_filter
        elif trainable is None:
            trainable = weight.trainable
        if trainable:
            self.module_trainable_names.append(name)
        super()._add_existing_weight(weight, trainable=trainable)

    def _check_trainability(self):
        if self.trainable and self._is_hub_module_v1:
            super()._check_trainability()  # the TF1 Hub format cannot train here

    def call(self, inputs, training=None):
        result = super().call(inputs, training=training if self.module_training else False)
        for part in self._output_path or ():
            result = result[int(part)] if isinstance(result, (list, tuple)) else result[part]
        return result

    def get_config(self):
        config = super().get_config()
        config["module_training"] = self.module_training
        if self._output_path:
            config["output_key"] = self.output_key
            config.pop("signature_outputs_as_dict", None)
        if self._trainable_filter is not None:
            config["trainable_names"] = sorted(self._trainable_filter)
        return config
