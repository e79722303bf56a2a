"""Tiny clip modules (TF2 SavedModels) written by the video tests: clips in, features out."""

from pathlib import Path

from hubmodels._keras import tf


class _TinyClipNet(tf.Module):
    """clips float32 [batch, frames, 16, 16, 3] -> features [batch, 6] (mean over time), or
    [batch, frames, 6] per frame; blocks Mixed_5b, Mixed_5c as in I3D."""

    def __init__(self, pooled):
        super().__init__()
        init = tf.random.stateless_normal
        self.pooled = pooled
        self.w1 = tf.Variable(init([3, 6], seed=[1, 2]), name="tiny_i3d/Mixed_5b/conv_3d/w")
        self.w2 = tf.Variable(init([6, 6], seed=[3, 4]), name="tiny_i3d/Mixed_5c/conv_3d/w")

    def forward(self, clips):
        x = tf.reduce_mean(clips, axis=[2, 3])  # [batch, frames, 3]
        x = tf.nn.relu(tf.einsum("bfc,cd->bfd", x * 4.0 - 2.0, self.w1))
        x = tf.einsum("bfc,cd->bfd", x, self.w2)
        return tf.reduce_mean(x, axis=1) if self.pooled else x


def write_tiny_clip_module(path: Path, frames=None, pooled=True) -> Path:
    """A reusable SavedModel taking clips of `frames` frames (None: any number)."""
    net = _TinyClipNet(pooled)
    spec = tf.TensorSpec([None, frames, 16, 16, 3], tf.float32, name="clips")
    net.__call__ = tf.function(lambda clips, training=False: net.forward(clips))
    for training in (False, True):
        net.__call__.get_concrete_function(spec, training)
    tf.saved_model.save(net, str(path), signatures={})
    return path
