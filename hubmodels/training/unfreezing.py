"""Gradual unfreezing: the head first, then one more block of the module each epoch."""

import logging

from hubmodels._keras import keras
from hubmodels.hub import unfreeze
from hubmodels.hub.backends import variable_name

log = logging.getLogger(__name__)


class GradualUnfreezing(keras.callbacks.Callback):
    """Epoch 0 trains the head only; each later epoch unfreezes one more block,
    from the last, until every unfrozen block of the model trains."""

    def __init__(self, block_scopes):
        super().__init__()
        self.block_scopes = list(block_scopes)

    def on_epoch_begin(self, epoch, logs=None):
        scopes = self.block_scopes[len(self.block_scopes) - epoch :] if epoch else []
        variables = [variable_name(v) for v in self.model.module_variables()]
        # unfreeze.select knows every naming of blocks ("resnet/block4/...", "block6a_expand...")
        names = set(unfreeze.select(variables, scopes)) if scopes else set()
        self.model.set_unfrozen(names)
        log.info("epoch %d: training head and blocks %s", epoch, scopes)

    def on_train_end(self, logs=None):
        self.model.set_unfrozen(None)  # later fits train every unfrozen block
