"""keras-tuner HyperModels over the hubmodels factories.

    from hubmodels.tuning import FeatureVectorHyperModel, Range, import_keras_tuner

    kt = import_keras_tuner()
    hypermodel = FeatureVectorHyperModel(
        ["hubmodels://efficientnet_lite0/feature_vector", "/models/resnet"], num_classes=5,
        learning_rate=Range(1e-4, 1e-2, log=True), unfreeze=[0, 1])
    tuner = kt.RandomSearch(hypermodel, objective="val_accuracy", max_trials=10,
                            directory="runs", project_name="flowers")
    tuner.search(data.train, validation_data=data.validation, epochs=5)
    best = tuner.get_best_models(1)[0]

The datasets yield (images float32 [batch, h, w, 3] in [0, 1], labels), as hubmodels.data
makes them; images of another size than a module's are resized to it in each trial.
"""

import functools

from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.hub import unfreeze as unfreezing
from hubmodels.hub.backends import variable_name
from hubmodels.hub.image_input import image_size_of
from hubmodels.hub.module import Module
from hubmodels.tasks.image.augmentation import augmentation_handle
from hubmodels.tasks.image.classifiers import feature_vector_classifier
from hubmodels.training.compile import compile_for_task
from hubmodels.tuning.hypermodel import (
    DROPOUT,
    HEAD_UNITS,
    LEARNING_RATE,
    MODULE_LEARNING_RATE,
    TaskHyperModel,
    dropout_rate,
    not_negative,
    positive,
    unfreeze_check,
)
from hubmodels.tuning.space import Choice, dimension

NO_AUGMENTATION = "none"


class FeatureVectorHyperModel(TaskHyperModel):
    """Searches `hubmodels.feature_vector_classifier` models: module, head, fine-tuning, rates.

    images float32 [batch, h, w, 3] in [0, 1] -> probabilities [batch, num_classes].

    Hyperparameters (their names in keras-tuner), each a Range, a Choice (or list) or one
    fixed value (see hubmodels.tuning.space):
      module               which module: one of `modules` (handles).
      unfreeze             how many of the module's last blocks fine-tune: 0 keeps it frozen.
                           Default Choice(0, 1, 2), fewer if a module has fewer blocks.
      module_learning_rate Adam learning rate of the unfrozen module weights; searched only
                           when unfreeze > 0. Default Range(1e-5, 1e-3, log=True).
      learning_rate        Adam learning rate of the head. Default Range(1e-4, 1e-2, log=True).
      head_units           width of the head's hidden ReLU layer, 0 for none. Default
                           Choice(0, 256).
      dropout              dropout before each dense layer of the head. Default Range(0, 0.5).
      augmentation         "none" or an augmentation module ("crop_color", "nas_svhn", a
                           handle), applied in training only. Default Choice("none",
                           "crop_color") when every module declares its image size (or
                           image_size is given), else "none".

    Every handle, range and choice is checked here, before any trial runs (InputError;
    HandleError for a handle that does not resolve).

    Frozen trials (unfreeze 0, no augmentation) train the head only, on module outputs
    computed once per module and dataset and shared by all trials (`feature_cache`: a
    FeatureCache, None for a new in-memory one, False to train them end to end).

    Other arguments: multi_label, class_names, signature and output_key as in
    feature_vector_classifier; image_size (height, width) for modules that accept any size.
    """

    examples = "images"

    def __init__(
        self,
        modules,
        num_classes,
        *,
        multi_label=False,
        class_names=None,
        unfreeze=None,
        module_learning_rate=MODULE_LEARNING_RATE,
        learning_rate=LEARNING_RATE,
        head_units=HEAD_UNITS,
        dropout=DROPOUT,
        augmentation=None,
        signature=None,
        output_key=None,
        image_size=None,
        feature_cache=None,
        name=None,
        tunable=True,
    ):
        super().__init__(
            modules,
            num_classes,
            class_names=class_names,
            feature_cache=feature_cache,
            name=name,
            tunable=tunable,
        )
        handles = self.handles
        self.multi_label = bool(multi_label)
        self.signature = signature
        self.output_key = output_key
        self.image_size = tuple(int(d) for d in image_size) if image_size else None
        facts = {handle: module_facts(handle, signature) for handle in handles}
        sized = self.image_size is not None or all(size for size, _ in facts.values())
        fewest_blocks = min(len(blocks) for _, blocks in facts.values())
        if unfreeze is None:
            unfreeze = Choice(*range(min(2, fewest_blocks) + 1))
        if augmentation is None:
            augmentation = Choice(NO_AUGMENTATION, "crop_color") if sized else NO_AUGMENTATION
        self.dimensions = {
            "module": dimension("module", handles, str, lambda handle: None),
            "unfreeze": dimension(
                "unfreeze", unfreeze, int, unfreeze_check({h: b for h, (_, b) in facts.items()})
            ),
            "module_learning_rate": dimension(
                "module_learning_rate", module_learning_rate, float, positive
            ),
            "learning_rate": dimension("learning_rate", learning_rate, float, positive),
            "head_units": dimension("head_units", head_units, int, not_negative),
            "dropout": dimension("dropout", dropout, float, dropout_rate),
            "augmentation": dimension("augmentation", augmentation, str, _augmentation_check),
        }
        if not sized and set(self.dimensions["augmentation"].values) != {NO_AUGMENTATION}:
            anysize = [handle for handle, (size, _) in facts.items() if size is None]
            raise InputError(
                f"search space: augmentation resizes to the module's image size, and module "
                f"{anysize[0]} accepts any size: give image_size=(height, width)"
            )

    def build(self, hp):
        """A compiled feature_vector_classifier for the trial's hyperparameters."""
        dims = self.dimensions
        handle = dims["module"].declare(hp)
        unfreeze = dims["unfreeze"].declare(hp)
        unfrozen_choices = [count for count in dims["unfreeze"].values if count > 0]
        module_learning_rate = None
        if unfrozen_choices:
            module_learning_rate = dims["module_learning_rate"].declare(
                hp, parent=("unfreeze", unfrozen_choices)
            )
        learning_rate = dims["learning_rate"].declare(hp)
        head_units = dims["head_units"].declare(hp)
        dropout = dims["dropout"].declare(hp)
        augmentation = dims["augmentation"].declare(hp)
        model = feature_vector_classifier(
            handle,
            self.num_classes,
            multi_label=self.multi_label,
            unfreeze=unfreeze or None,
            augmentation=None if augmentation == NO_AUGMENTATION else augmentation,
            dropout=dropout,
            head=(head_units,) if head_units else (),
            signature=self.signature,
            output_key=self.output_key,
            image_size=self.image_size,
            class_names=self.class_names,
        )
        compile_for_task(model, learning_rate, module_learning_rate if unfreeze else None)
        return model

    def prepared(self, model, dataset):
        """`dataset` with its images resized to the model's input size when they differ."""
        size = tuple(model.inputs[0].shape[1:3])
        if None in size or tuple(dataset.element_spec[0].shape[1:3]) == size:
            return dataset
        return dataset.map(
            lambda images, *rest: (tf.image.resize(images, size), *rest),
            num_parallel_calls=tf.data.AUTOTUNE,
        )


@functools.lru_cache(maxsize=64)
def module_facts(handle, signature=None) -> tuple:
    """(image size (height, width) or None, block scopes) of the module at `handle`.

    Loads the module once per process and handle.
    """
    module = Module(handle)
    names = [variable_name(v) for v in module.fine_tunable_variables]
    return image_size_of(module, signature), tuple(unfreezing.blocks(names))


def _augmentation_check(name):
    if name == NO_AUGMENTATION:
        return None
    module = Module(augmentation_handle(name))
    if "from_decoded_images" not in module.get_signature_names():
        return (
            f"is no augmentation module: {module.handle} has no 'from_decoded_images' "
            f"signature (it has {module.get_signature_names()})"
        )
    return None
