"""Layers that let an image module run on every frame of a clip, and the temporal heads.

FramesAsImages: clips [batch, frames, h, w, 3] -> images [batch * frames, h, w, 3].
FramesOfClips: per-frame features [batch * frames, d] (or already [batch, frames, d])
  -> [batch, frames, d].
FrameDifferences: [batch, frames, d] -> [batch, frames - 1, d], each frame's features minus
  the previous frame's (what changes; a static background's share cancels out).
"""

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.tasks.video import TEMPORAL

RECURRENT_UNITS = 128


class FramesAsImages(keras.layers.Layer):
    """clips [batch, frames, h, w, 3] -> images [batch * frames, h, w, 3] (frames in order)."""

    def call(self, clips):
        return tf.reshape(clips, tf.concat([[-1], tf.shape(clips)[2:]], axis=0))

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape)
        return tf.TensorShape([None]).concatenate(shape[2:])


class FramesOfClips(keras.layers.Layer):
    """features [batch * frames, d] or [batch, frames, d] -> [batch, frames, d].

    Both shapes come in: the model gives the first, features cached per clip the second.
    """

    def __init__(self, frames, **kwargs):
        super().__init__(**kwargs)
        self.frames = int(frames)

    def call(self, features):
        return tf.reshape(features, [-1, self.frames, tf.shape(features)[-1]])

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([None, self.frames, tf.TensorShape(input_shape)[-1]])

    def get_config(self):
        return {**super().get_config(), "frames": self.frames}


class FrameDifferences(keras.layers.Layer):
    """features [batch, frames, d] -> [batch, frames - 1, d]: frame t+1 minus frame t."""

    def call(self, features):
        return features[:, 1:] - features[:, :-1]

    def compute_output_shape(self, input_shape):
        batch, frames, depth = tf.TensorShape(input_shape)
        return tf.TensorShape([batch, None if frames is None else frames - 1, depth])


def temporal_layers(temporal) -> list:
    """[batch, frames, d] -> [batch, d']: the mean over frames, or a GRU or LSTM (128 units);
    "delta_" first takes the differences between consecutive frames (FrameDifferences)."""
    if temporal in TEMPORAL and temporal.startswith("delta_"):
        return [FrameDifferences(name="frame_differences"), temporal_layer(temporal[6:])]
    return [temporal_layer(temporal)]


def temporal_layer(temporal):
    """[batch, frames, d] -> [batch, d']: the mean over frames, or a GRU or LSTM (128 units)."""
    if temporal == "mean":
        return keras.layers.GlobalAveragePooling1D(name="temporal_mean")
    if temporal == "gru":
        return keras.layers.GRU(RECURRENT_UNITS, name="temporal_gru")
    if temporal == "lstm":
        return keras.layers.LSTM(RECURRENT_UNITS, name="temporal_lstm")
    raise InputError(f"temporal={temporal!r}: expected one of {', '.join(TEMPORAL)}")
