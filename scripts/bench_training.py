"""Training speed of hubmodels against the hand-written tutorial way, side by side.

    python scripts/bench_training.py [--images 256] [--epochs 8] [--batch 32] [--repeats 3]

1. Frozen module: epoch time of `hubmodels.fit` (feature caching) vs a frozen
   `hub.KerasLayer` + `Dense` fitted with Keras, on the same data and module;
   held-out accuracy of both.
2. Fine-tuning the last block: training throughput of `hubmodels.fit` on
   `feature_vector_classifier(unfreeze=1)` vs the same model written by hand
   (hub.load, the block's variables, a Dense layer, a tf.function train step),
   on the same cached tf.data batches in the same order, one epoch each in
   interleaved rounds (the side that goes first alternates).

Data: scikit-learn's handwritten digits, upsampled to 224x224 RGB. Module:
the real EfficientNet-Lite0 feature vector of the zoo (run `hubmodels zoo fetch`).
"""

import argparse
import time

import numpy as np

HANDLE = "hubmodels://efficientnet_lite0/feature_vector"


def digits(count, seed=0):
    """float32 [count, 224, 224, 3] in [0, 1] and int labels, shuffled with `seed`."""
    from sklearn.datasets import load_digits

    from hubmodels._keras import tf

    data = load_digits()
    order = np.random.default_rng(seed).permutation(len(data.images))[:count]
    small = (data.images[order] / 16.0).astype("float32")[..., None]
    images = tf.image.resize(tf.repeat(small, 3, axis=-1), (224, 224)).numpy()
    return images, data.target[order].astype("int32")


class EpochTimer:
    def __init__(self, keras):
        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(time.perf_counter() - self.start)

        self.callback = Timer()
        self.callback.times = []

    @property
    def times(self):
        return self.callback.times


def frozen_comparison(args, train, test):
    import tensorflow_hub as hub

    import hubmodels
    from hubmodels._keras import keras, tf

    def dataset(images, labels):
        return tf.data.Dataset.from_tensor_slices((images, labels)).batch(args.batch)

    keras.utils.set_random_seed(0)
    inputs = keras.Input((224, 224, 3))
    features = hub.KerasLayer(HANDLE, trainable=False)(inputs)
    by_hand = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(features))
    by_hand.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", ["accuracy"])
    hand_timer = EpochTimer(keras)
    start = time.perf_counter()
    by_hand.fit(dataset(*train), epochs=args.epochs, callbacks=[hand_timer.callback], verbose=0)
    hand_total = time.perf_counter() - start
    hand_accuracy = by_hand.evaluate(dataset(*test), verbose=0)[1]

    keras.utils.set_random_seed(0)
    model = hubmodels.feature_vector_classifier(HANDLE, 10, dropout=0.0)
    ours_timer = EpochTimer(keras)
    start = time.perf_counter()
    hubmodels.fit(  # same batch order as the hand-written fit, so accuracies compare
        model,
        dataset(*train),
        epochs=args.epochs,
        shuffle_cache=False,
        callbacks=[ours_timer.callback],
        verbose=0,
    )
    ours_total = time.perf_counter() - start
    ours_accuracy = model.evaluate(dataset(*test), verbose=0, return_dict=True)["accuracy"]

    print("\n1. Frozen module, epoch times (s)")
    print(
        f"   hand-written hub.KerasLayer + Dense: {fmt(hand_timer.times)}  total {hand_total:.1f}"
    )
    print(
        f"   hubmodels.fit (feature cache):       {fmt(ours_timer.times)}  total {ours_total:.1f}"
        " (caching happens before epoch 1)"
    )
    later_hand = np.mean(hand_timer.times[1:])
    later_ours = np.mean(ours_timer.times[1:])
    print(
        f"   epochs 2+: {later_hand / later_ours:.0f}x faster; whole fit: "
        f"{hand_total / ours_total:.2f}x"
    )
    print(f"   held-out accuracy: hand-written {hand_accuracy:.3f}, hubmodels {ours_accuracy:.3f}")


def finetune_comparison(args, train):
    import tensorflow_hub as hub

    import hubmodels
    from hubmodels._keras import keras, tf

    steps = max(2, len(train[0]) // args.batch)
    count = steps * args.batch
    dataset = tf.data.Dataset.from_tensor_slices((train[0][:count], train[1][:count]))
    dataset = dataset.batch(args.batch).cache()

    loaded = hub.load(HANDLE)
    block = [v for v in loaded.trainable_variables if "/block7a/" in v.name]
    dense = keras.layers.Dense(10, activation="softmax")
    dense.build((None, 1280))
    optimizer = keras.optimizers.Adam(1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    variables = block + dense.trainable_variables

    @tf.function
    def step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, dense(loaded(images, training=False)))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    model = hubmodels.feature_vector_classifier(HANDLE, 10, unfreeze=1, dropout=0.0)

    def by_hand():
        for images, labels in dataset:
            step(images, labels)

    def ours():  # the whole call: fit's checks and Keras' set-up count too
        hubmodels.fit(model, dataset, epochs=1, learning_rate=1e-3, verbose=0)

    by_hand()  # traces, and fills the dataset cache
    ours()  # traces the train function
    rates = {by_hand: [], ours: []}  # images per second of wall time
    cpu = {by_hand: [], ours: []}  # images per second of the process's CPU time
    for round_ in range(args.repeats):  # interleaved, the first side alternating
        for side in (by_hand, ours) if round_ % 2 == 0 else (ours, by_hand):
            wall, used = timed(side)
            rates[side].append(count / wall)
            cpu[side].append(count / used)
    ratios = [o / h for o, h in zip(rates[ours], rates[by_hand])]
    cpu_ratios = [o / h for o, h in zip(cpu[ours], cpu[by_hand])]
    print(f"\n2. Fine-tuning the last block (block7a), training images/s, {args.repeats} rounds")
    print(f"   hand-written tf.function step over the dataset: {fmt(rates[by_hand])}")
    print(f"   hubmodels.fit (unfreeze=1), one epoch a call:   {fmt(rates[ours])}")
    print(
        f"   ratio per round {fmt(ratios)}; median {np.median(ratios):.2f}x, "
        f"best vs best {max(rates[ours]) / max(rates[by_hand]):.2f}x"
    )
    print(
        f"   per CPU second (less sensitive to other load): ratio per round {fmt(cpu_ratios)}; "
        f"median {np.median(cpu_ratios):.2f}x"
    )


def timed(function) -> tuple:
    """(wall seconds, CPU seconds of this process) that function() took."""
    start, start_cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - start, time.process_time() - start_cpu


def fmt(values):
    return " ".join(f"{v:.2f}" for v in values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=4, help="fine-tuning timing rounds")
    parser.add_argument("--skip-frozen", action="store_true", help="only the fine-tuning part")
    args = parser.parse_args()
    images, labels = digits(args.images + 200)
    train = images[: args.images], labels[: args.images]
    test = images[args.images :], labels[args.images :]
    if not args.skip_frozen:
        frozen_comparison(args, train, test)
    finetune_comparison(args, train)


if __name__ == "__main__":
    main()
