"""Loss, metrics and served outputs of classification tasks (one label, or several per example)."""

from hubmodels._keras import keras, tf


def classification_metrics(num_classes: int, multi_label: bool) -> list:
    """Accuracy and top-5 (one label, over 5 classes), or binary accuracy and F1 (multi-label)."""
    if multi_label:
        return [
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.F1Score(average="micro", threshold=0.5, name="f1_micro"),
            keras.metrics.F1Score(average="macro", threshold=0.5, name="f1_macro"),
        ]
    metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    if num_classes > 5:
        metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"))
    return metrics


def classification_loss(multi_label: bool) -> str:
    """Cross-entropy on probabilities: binary per class, or sparse categorical."""
    return "binary_crossentropy" if multi_label else "sparse_categorical_crossentropy"


def classification_outputs(probabilities, class_names, multi_label: bool) -> dict:
    """What an export serves: probabilities [batch, n], and for single-label models classes
    int32 [batch] (the top-1 index) and, with class names, labels string [batch]."""
    result = {"probabilities": probabilities}
    if not multi_label:
        classes = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        result["classes"] = classes
        if class_names:
            result["labels"] = tf.gather(tf.constant(class_names), classes)
    return result
