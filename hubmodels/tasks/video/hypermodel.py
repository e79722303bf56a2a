"""keras-tuner HyperModel over `video_classifier`.

    from hubmodels.tasks.video import VideoHyperModel
    from hubmodels.tuning import Choice, import_keras_tuner

    kt = import_keras_tuner()
    hypermodel = VideoHyperModel(
        ["hubmodels://efficientnet_lite0/feature_vector",
         "hubmodels://standin/deepmind/i3d-kinetics-400/1"],
        num_classes=7, frames=8, temporal=Choice("mean", "gru"))
    tuner = kt.RandomSearch(hypermodel, objective="val_accuracy", max_trials=6,
                            directory="runs", project_name="gestures")
    tuner.search(clips.train, validation_data=clips.validation, epochs=5)

The datasets yield (clips float32 [batch, frames, h, w, 3] in [0, 1], labels), as
hubmodels.data.video_clips makes them, at the modules' frame size.
"""

import functools

from hubmodels.errors import InputError
from hubmodels.hub import unfreeze as unfreezing
from hubmodels.hub.backends import variable_name
from hubmodels.hub.module import Module
from hubmodels.tasks.video import TEMPORAL
from hubmodels.tasks.video.classifiers import DEFAULT_FRAMES, module_input, video_classifier
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


class VideoHyperModel(TaskHyperModel):
    """Searches `hubmodels.video_classifier` models: module, temporal head, fine-tuning, rates.

    clips float32 [batch, frames, h, w, 3] in [0, 1] -> probabilities [batch, num_classes].

    Hyperparameters (their names in keras-tuner), each a Range, a Choice (or list) or one
    fixed value (see hubmodels.tuning.space):
      module               which module: one of `modules` (clip or image modules).
      temporal             how an image module's per-frame features become one ("mean",
                           "gru", "lstm", "delta_mean", ...: see video_classifier); searched
                           only for image modules (clip modules pool over time themselves).
                           Default "mean".
      unfreeze             how many of the module's last blocks fine-tune: 0 keeps it frozen.
                           Default Choice(0, 1), 0 alone if a module has no blocks.
      module_learning_rate Adam learning rate of the unfrozen module weights; searched only
                           when unfreeze > 0. Default Range(1e-5, 1e-3, log=True).
      learning_rate        of the head. Default Range(1e-4, 1e-2, log=True).
      head_units           width of the head's hidden ReLU layer, 0 for none. Default
                           Choice(0, 256).
      dropout              before each dense layer of the head. Default Range(0, 0.5).

    frames: the clip length (default 16); a clip module with a fixed one must agree.
    Frozen trials train the head only, on module outputs computed once per module and
    dataset and shared by all trials (`feature_cache`: a FeatureCache, None for a new
    in-memory one, False to train them end to end). Handles and ranges are checked here,
    before any trial runs (InputError).
    """

    examples = "clips"

    def __init__(
        self,
        modules,
        num_classes,
        *,
        frames=None,
        class_names=None,
        temporal="mean",
        unfreeze=None,
        module_learning_rate=MODULE_LEARNING_RATE,
        learning_rate=LEARNING_RATE,
        head_units=HEAD_UNITS,
        dropout=DROPOUT,
        signature=None,
        output_key=None,
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
        self.frames = int(frames) if frames is not None else DEFAULT_FRAMES
        self.signature = signature
        self.output_key = output_key
        facts = {handle: video_module_facts(handle, signature) for handle in handles}
        for handle, (kind, fixed, _) in facts.items():
            if kind == "clip" and fixed is not None and fixed != self.frames:
                raise InputError(
                    f"search space: module {handle} takes clips of exactly {fixed} frames, "
                    f"frames={self.frames} differs"
                )
        self.frame_modules = [h for h, (kind, _, _) in facts.items() if kind == "frame"]
        if unfreeze is None:
            unfreeze = Choice(*range(min(1, *(len(b) for _, _, b in facts.values())) + 1))
        self.dimensions = {
            "module": dimension("module", handles, str, lambda handle: None),
            "temporal": dimension("temporal", temporal, str, _temporal_check),
            "unfreeze": dimension(
                "unfreeze", unfreeze, int, unfreeze_check({h: b for h, (_, _, b) in facts.items()})
            ),
            "module_learning_rate": dimension(
                "module_learning_rate", module_learning_rate, float, positive
            ),
            "learning_rate": dimension("learning_rate", learning_rate, float, positive),
            "head_units": dimension("head_units", head_units, int, not_negative),
            "dropout": dimension("dropout", dropout, float, dropout_rate),
        }

    def build(self, hp):
        """A compiled video_classifier for the trial's hyperparameters."""
        dims = self.dimensions
        handle = dims["module"].declare(hp)
        temporal = "mean"
        if self.frame_modules:
            temporal = dims["temporal"].declare(hp, parent=("module", self.frame_modules))
        unfreeze = dims["unfreeze"].declare(hp)
        unfrozen_choices = [count for count in dims["unfreeze"].values if count > 0]
        module_learning_rate = None
        if unfrozen_choices:
            module_learning_rate = dims["module_learning_rate"].declare(
                hp, parent=("unfreeze", unfrozen_choices)
            )
        learning_rate = dims["learning_rate"].declare(hp)
        head_units = dims["head_units"].declare(hp)
        model = video_classifier(
            handle,
            self.num_classes,
            unfreeze=unfreeze or None,
            dropout=dims["dropout"].declare(hp),
            head=(head_units,) if head_units else (),
            frames=self.frames,
            signature=self.signature,
            output_key=self.output_key,
            temporal=temporal if handle in self.frame_modules else "mean",
            class_names=self.class_names,
        )
        compile_for_task(model, learning_rate, module_learning_rate if unfreeze else None)
        return model


@functools.lru_cache(maxsize=64)
def video_module_facts(handle, signature=None) -> tuple:
    """("clip" or "frame", fixed frame count or None, block scopes) of the module at `handle`."""
    module = Module(handle)
    kind, frames, _ = module_input(module, signature)
    names = [variable_name(v) for v in module.fine_tunable_variables]
    return kind, frames, tuple(unfreezing.blocks(names))


def _temporal_check(value):
    return None if value in TEMPORAL else f"must be one of {', '.join(TEMPORAL)}"
