"""Training task models: `fit` (loss and metrics by task, a learning rate per group, gradual
unfreezing, resumable checkpoints) and the cached-feature fit of frozen modules."""

from hubmodels.training.compile import compile_for_task
from hubmodels.training.fit import fit

__all__ = ["compile_for_task", "fit"]
