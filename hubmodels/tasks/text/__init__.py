"""The text task: classifiers of raw strings on text-embedding modules.

Factory (classifiers.py): `text_classifier` at sentence level (one vector per text) or word
level (token embeddings, BiLSTM or masked mean), `predict_labels`; `token_classifier`
(tagging.py), one tag per whitespace word; `TextHyperModel` (hypermodel.py) for keras-tuner.
What a module gives at each level (embeddings.py), the word-level layers (sequence.py),
export signatures (serving.py), `train --task text`/`predict` (cli.py) and the quickstart
step (quickstart.py). Data: hubmodels.data.text_from_csv / text_from_folder, and
hubmodels.datasets.tweet_sentiment. Names are imported on first use, so the command line
starts without TensorFlow.
"""

from hubmodels.lazy import exports

_PUBLIC = {
    "text_classifier": ".classifiers",
    "predict_labels": ".classifiers",
    "token_classifier": ".tagging",
    "TextHyperModel": ".hypermodel",
    # the task interface (see hubmodels.tasks)
    "export_metadata": ".serving",
    "restore_metadata": ".serving",
    "serving_signatures": ".serving",
    "add_train_arguments": ".cli",
    "train": ".cli",
    "predict": ".cli",
    "quickstart": ".quickstart",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = exports(__name__, _PUBLIC)
