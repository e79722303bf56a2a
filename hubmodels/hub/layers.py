"""The Keras layer of a module: `hub.KerasLayer` for TF2 SavedModels, the adapter for TF1 ones.

    layer = module_layer(Module(handle), trainable_names=["resnet_v2_50/block4/..."])

TF2 SavedModels get a `HubKerasLayer` (a hub.KerasLayer). TF1 Hub modules and TF1
SavedModels get a `ModuleLayer`, which calls their signatures through `Module` and can
fine-tune them (hub.KerasLayer refuses to). Both expose `handle`, `signature`,
`output_key`, `module_trainable_names` (the module variables that train) and
`required_packages` (what the module's ops need, recorded by exports).
"""

from hubmodels.errors import InputError
from hubmodels.hub import card
from hubmodels.hub.backends import CALL_SIGNATURE
from hubmodels.hub.keras_layer import HubKerasLayer
from hubmodels.hub.layer import ModuleLayer
from hubmodels.hub.module import select_output

MODULE_LAYERS = (HubKerasLayer, ModuleLayer)


def is_module_layer(layer) -> bool:
    return isinstance(layer, MODULE_LAYERS)


def module_layer(
    module,
    signature=None,
    output_key=None,
    trainable_names=(),
    module_training=False,
    as_dict=False,
    name="module",
):
    """A layer running `signature` of `module` (None: its default) and returning one output
    (as_dict=True: every output of the signature, as a dict).

    trainable_names: module variables that train with the model (empty: the module is frozen).
    module_training: run the module in training mode while the model trains (batch norm on
      batch statistics); TF1 modules have no such mode and refuse True.
    """
    trainable_names = list(trainable_names)
    info = module.signature_info(signature)
    if module.file.format != "TF2 SavedModel" or module.runs_in_session:
        if module_training:
            raise InputError(
                f"module {module.handle} is in the TF1 format, which has no training mode to "
                "switch on: train_batch_norm=True needs a TF2 module (for TF1 modules that "
                "have one, pick their training graph with tags={'train'})"
            )
        return ModuleLayer(
            module,
            signature=info.name,
            output_key=output_key,
            as_dict=as_dict,
            trainable=bool(trainable_names),
            trainable_filter=set(trainable_names).__contains__,
            name=name,
        )
    loaded = module.loaded_object
    call = info.name == CALL_SIGNATURE and CALL_SIGNATURE not in loaded.signatures
    if as_dict:
        output_key = None
    elif output_key is None and not (call and not _call_returns_dict(loaded)):
        # the key that Module would pick: `default` or the only output
        output_key = select_output(info, {key: key for key in info.outputs}, None, module.handle)
    return HubKerasLayer(
        module.handle,
        loaded=loaded,
        trainable=bool(trainable_names),
        trainable_names=trainable_names,
        module_training=module_training,
        required_packages=card.read(module.path).get("requires", []),
        signature=None if call else info.name,
        output_key=output_key,
        signature_outputs_as_dict=as_dict or None,
        name=name,
    )


def _call_returns_dict(loaded) -> bool:
    functions = loaded.__call__.concrete_functions
    return bool(functions) and isinstance(functions[0].structured_outputs, dict)
