"""Word-level pieces: token embeddings with an explicit mask, and the masked mean.

    embeddings, mask = TokenSequence(max_tokens=64)([embeddings, mask_or_lengths])
    x = keras.layers.Bidirectional(keras.layers.LSTM(128))(embeddings, mask=mask)
    x = MaskedMean()([embeddings, mask])

The mask is passed explicitly rather than through Keras' implicit masking, which a
reloaded export (layers revived from the saved graph) would not propagate.
"""

from hubmodels._keras import keras, tf


class TokenSequence(keras.layers.Layer):
    """[embeddings float32 [batch, seq, d], extent] -> [embeddings [batch, seq', d],
    mask bool [batch, seq']].

    extent: a 0/1 mask int [batch, seq] (MiniLM) or lengths int [batch] (ELMo).
    seq' = min(seq, max_tokens) (None: seq): tokens past max_tokens are dropped.
    """

    def __init__(self, max_tokens=None, **kwargs):
        super().__init__(**kwargs)
        self.max_tokens = None if max_tokens is None else int(max_tokens)

    def call(self, inputs):
        embeddings, extent = inputs
        if extent.shape.rank == 1:
            mask = tf.sequence_mask(extent, tf.shape(embeddings)[1])
        else:
            mask = tf.cast(extent, tf.bool)
        if self.max_tokens is not None:
            embeddings, mask = embeddings[:, : self.max_tokens], mask[:, : self.max_tokens]
        return [embeddings, mask]

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens}


class MaskedMean(keras.layers.Layer):
    """[embeddings [batch, seq, d], mask bool [batch, seq]] -> mean over the real tokens
    [batch, d] (zeros for a text without tokens)."""

    def call(self, inputs):
        embeddings, mask = inputs
        weights = tf.cast(mask, embeddings.dtype)[:, :, None]
        total = tf.reduce_sum(embeddings * weights, axis=1)
        return total / tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)
