"""One worker of a MultiWorkerMirroredStrategy training, for distributed_test.py.

    TF_CONFIG=... python -m tests.training.multiworker_job MODULE WORK [--kill-at EPOCH]

Fine-tunes the tiny image module's last block (its own learning rate) for 4 epochs with a
backup in WORK/backup, logging "worker I begin|end EPOCH" lines to WORK/epochs.log; with
--kill-at E, worker 1 kills itself (SIGKILL) in the second batch of epoch E. Then every
worker saves the model (the chief to WORK/model) and its weights to WORK/weights-I.npz.
"""

import argparse
import os
import signal
from pathlib import Path

import numpy as np

import hubmodels
from hubmodels._keras import keras
from hubmodels.training.strategy import resolve, write_path
from tests.tiny_images import datasets

EPOCHS = 4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("module")
    parser.add_argument("work", type=Path)
    parser.add_argument("--kill-at", type=int)
    args = parser.parse_args()

    strategy = resolve("multiworker")  # first: before TensorFlow runs anything else
    index = strategy.cluster_resolver.task_id
    keras.utils.set_random_seed(0)
    model = hubmodels.feature_vector_classifier(
        args.module, 2, unfreeze=1, dropout=0.0, strategy=strategy
    )
    train, validation = datasets(batch_size=8)
    hubmodels.fit(
        model,
        train,
        validation,
        epochs=EPOCHS,
        learning_rate=0.01,
        module_learning_rate=0.001,
        checkpoint_dir=args.work / "backup",
        callbacks=[EpochLog(args.work / "epochs.log", index, args.kill_at)],
        verbose=0,
        strategy="multiworker",
    )
    with write_path(args.work / "model", strategy) as path:
        hubmodels.save_model(model, path, overwrite=True)
    np.savez(args.work / f"weights-{index}.npz", *model.get_weights())


class EpochLog(keras.callbacks.Callback):
    def __init__(self, path, index, kill_at):
        super().__init__()
        self.path, self.index, self.kill_at = path, index, kill_at
        self.epoch = None

    def _write(self, event, epoch):
        with open(self.path, "a") as log:
            log.write(f"worker {self.index} {event} {epoch}\n")

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._write("begin", epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._write("end", epoch)

    def on_train_batch_begin(self, batch, logs=None):
        if self.index == 1 and self.epoch == self.kill_at and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
