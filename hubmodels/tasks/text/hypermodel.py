"""keras-tuner HyperModel over `text_classifier`.

    from hubmodels.tasks.text.hypermodel import TextHyperModel
    from hubmodels.tuning import Choice, Range, import_keras_tuner

    kt = import_keras_tuner()
    hypermodel = TextHyperModel("hubmodels://minilm_l6_v2/text_embedding", num_classes=3,
                                level=Choice("sentence", "word"), unfreeze=0)
    tuner = kt.RandomSearch(hypermodel, objective="val_accuracy", max_trials=10,
                            directory="runs", project_name="tweets")
    tuner.search(data.train, validation_data=data.validation, epochs=5)

The datasets yield (texts string [batch], labels) batches, as hubmodels.data.text_from_csv
makes them.
"""

import functools

from hubmodels.hub import unfreeze as unfreezing
from hubmodels.hub.backends import variable_name
from hubmodels.hub.module import Module
from hubmodels.tasks.text.classifiers import LEVELS, text_classifier
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

LSTM_UNITS = Choice(64, 128)
LEVEL = Choice(*LEVELS)
WHOLE = "all"  # the one block of a module whose trainable variables are in no block (ELMo)


class TextHyperModel(TaskHyperModel):
    """Searches `hubmodels.text_classifier` models: module, level, head, fine-tuning, rates.

    texts string [batch] -> probabilities [batch, num_classes].

    Hyperparameters (their names in keras-tuner), each a Range, a Choice (or list) or one
    fixed value (see hubmodels.tuning.space):
      module               which module: one of `modules` (handles).
      level                "sentence" or "word" (see text_classifier). Default
                           Choice("sentence", "word").
      head_units           sentence level: width of the head's hidden ReLU layer, 0 for none.
                           Default Choice(0, 256).
      lstm_units           word level: units of the BiLSTM each way. Default Choice(64, 128).
      unfreeze             how many of the module's last blocks fine-tune (MiniLM: transformer
                           layers; ELMo: 1, its aggregation weights); 0 keeps it frozen.
                           Default Choice(0, 1), only 0 for a module with nothing to train.
      module_learning_rate Adam learning rate of the unfrozen module weights; searched only
                           when unfreeze > 0. Default Range(1e-5, 1e-3, log=True).
      learning_rate        Adam learning rate of the head. Default Range(1e-4, 1e-2, log=True).
      dropout              dropout before the head's dense layers. Default Range(0, 0.5).

    Every handle, range and choice is checked here, before any trial runs (InputError;
    HandleError for a handle that does not resolve).

    Frozen sentence-level trials train the head only, on the module's text vectors computed
    once per module and dataset and shared by all trials (`feature_cache`: a FeatureCache,
    None for a new in-memory one, False to train them end to end). Word-level trials run
    the module at every step.

    Other arguments: multi_label, class_names, max_tokens (word level) as in
    text_classifier.
    """

    examples = "texts"

    def __init__(
        self,
        modules,
        num_classes,
        *,
        multi_label=False,
        class_names=None,
        level=LEVEL,
        head_units=HEAD_UNITS,
        lstm_units=LSTM_UNITS,
        unfreeze=None,
        module_learning_rate=MODULE_LEARNING_RATE,
        learning_rate=LEARNING_RATE,
        dropout=DROPOUT,
        max_tokens=None,
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
        self.max_tokens = max_tokens
        blocks = {handle: module_blocks(handle) for handle in handles}
        if unfreeze is None:
            unfreeze = Choice(0, 1) if all(blocks.values()) else 0
        self.dimensions = {
            "module": dimension("module", handles, str, lambda handle: None),
            "level": dimension("level", level, str, _level_check),
            "head_units": dimension("head_units", head_units, int, not_negative),
            "lstm_units": dimension("lstm_units", lstm_units, int, positive),
            "unfreeze": dimension("unfreeze", unfreeze, int, unfreeze_check(blocks)),
            "module_learning_rate": dimension(
                "module_learning_rate", module_learning_rate, float, positive
            ),
            "learning_rate": dimension("learning_rate", learning_rate, float, positive),
            "dropout": dimension("dropout", dropout, float, dropout_rate),
        }

    def build(self, hp):
        """A compiled text_classifier for the trial's hyperparameters."""
        dims = self.dimensions
        handle = dims["module"].declare(hp)
        level = dims["level"].declare(hp)
        levels = dims["level"].values
        head_units = lstm_units = None
        if "sentence" in levels:
            head_units = dims["head_units"].declare(hp, parent=("level", ["sentence"]))
        if "word" in levels:
            lstm_units = dims["lstm_units"].declare(hp, parent=("level", ["word"]))
        unfreeze = dims["unfreeze"].declare(hp)
        unfrozen_choices = [count for count in dims["unfreeze"].values if count > 0]
        module_learning_rate = None
        if unfrozen_choices:
            module_learning_rate = dims["module_learning_rate"].declare(
                hp, parent=("unfreeze", unfrozen_choices)
            )
        learning_rate = dims["learning_rate"].declare(hp)
        dropout = dims["dropout"].declare(hp)
        if level == "sentence":
            shape = dict(head=(head_units,) if head_units else None)
        else:
            shape = dict(units=lstm_units, max_tokens=self.max_tokens)
        model = text_classifier(
            handle,
            self.num_classes,
            level=level,
            dropout=dropout,
            multi_label=self.multi_label,
            unfreeze=_unfreeze_argument(handle, unfreeze),
            class_names=self.class_names,
            **shape,
        )
        compile_for_task(model, learning_rate, module_learning_rate if unfreeze else None)
        return model


@functools.lru_cache(maxsize=64)
def module_blocks(handle) -> tuple:
    """The block scopes of the module at `handle` that can fine-tune, (WHOLE,) when its
    trainable variables are in no block, () when it has none (loads it once)."""
    module = Module(handle)
    names = [variable_name(v) for v in module.fine_tunable_variables]
    found = unfreezing.blocks(names)
    return tuple(found) if found or not names else (WHOLE,)


def _unfreeze_argument(handle, count):
    """text_classifier's unfreeze for `count` last blocks: None (0), True (the whole module
    when it has no blocks), or count."""
    if not count:
        return None
    return True if module_blocks(handle) == (WHOLE,) else count


def _level_check(level):
    return None if level in LEVELS else f"must be one of {LEVELS}"
