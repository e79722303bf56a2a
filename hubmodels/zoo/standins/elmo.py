"""Stand-in of google/elmo/2 (TF1 Hub format).

Signatures (tags {}):
  default: text string [batch], tokenised by whitespace inside the graph
  tokens: tokens string [batch, max_length] (padding ""), sequence_len int32 [batch]
Both return:
  word_emb float32 [batch, max_length, 512]: character-based word representations
  lstm_outputs1, lstm_outputs2 float32 [batch, max_length, 1024]: bidirectional LSTM layers
  elmo float32 [batch, max_length, 1024]: scaling * sum_k softmax(weights)_k * layer_k over
    [word_emb twice, lstm_outputs1, lstm_outputs2] (the trainable aggregation)
  default float32 [batch, 1024]: mean of `elmo` over each sentence's tokens (0 when empty)
  sequence_len int32 [batch]
Positions at or past a sentence's length are 0 in every output.

As in the original (version 2) the only trainable variables are the 4 aggregation
scalars, aggregation/weights [3] and aggregation/scaling []; the rest (bilm/...) is
fixed. Characters are looked up in a table initialised from the asset chars.txt
(printable ASCII; other bytes share one out-of-vocabulary id); the LSTMs are narrow.
"""

from hubmodels._keras import tf
from hubmodels.hub.tf1_writer import add_signature, asset_path, write_module
from hubmodels.zoo.registry import register
from hubmodels.zoo.standins import notice
from hubmodels.zoo.standins.layers import dense, variable

v1 = tf.compat.v1
PATH = "google/elmo/2"
CHARS = "".join(chr(code) for code in range(33, 127))
MAX_CHARS = 50
CHAR_DIM = 16
FILTERS = 64
WORD_DIM = 512
LSTM_UNITS = 64
LAYERS = 2


def _char_ids(tokens):
    """tokens string [n] -> int64 [n, MAX_CHARS]: 1 + table id per byte, 0 for padding."""
    vocab = v1.lookup.TextFileInitializer(
        asset_path("chars.txt"),
        tf.string,
        v1.lookup.TextFileIndex.WHOLE_LINE,
        tf.int64,
        v1.lookup.TextFileIndex.LINE_NUMBER,
    )
    table = v1.lookup.StaticVocabularyTable(vocab, num_oov_buckets=1)
    chars = tf.strings.bytes_split(tokens)
    ids = chars.with_flat_values(table.lookup(chars.flat_values) + 1)
    return ids.to_tensor(default_value=0, shape=[None, MAX_CHARS])


def _word_embeddings(tokens):
    """tokens string [batch, time] -> [batch, time, WORD_DIM] by a character CNN."""
    flat = tf.reshape(tokens, [-1])
    ids = _char_ids(flat)
    with v1.variable_scope("bilm"):
        table = variable("char_embed", [len(CHARS) + 2, CHAR_DIM], trainable=False)
        chars = tf.gather(table, ids) * tf.cast(ids > 0, tf.float32)[..., None]
        with v1.variable_scope("CNN"):
            kernel = variable("W_cnn_0", [3, CHAR_DIM, FILTERS], trainable=False)
            bias = variable("b_cnn_0", [FILTERS], v1.zeros_initializer(), False)
            features = tf.reduce_max(tf.nn.conv1d(chars, kernel, 1, "SAME") + bias, axis=1)
        with v1.variable_scope("CNN_proj"):
            words = dense(tf.nn.relu(features), WORD_DIM, trainable=False, gain=1.0)
    return tf.reshape(words, tf.concat([tf.shape(tokens), [WORD_DIM]], 0))


def _lstm(inputs, mask):
    """inputs [batch, time, d], mask [batch, time, 1] -> [batch, time, WORD_DIM] (projected)."""
    with v1.variable_scope("LSTMCell"):
        kernel = variable("W_0", [inputs.shape[-1] + LSTM_UNITS, 4 * LSTM_UNITS], None, False)
        bias = variable("B", [4 * LSTM_UNITS], v1.zeros_initializer(), False)
        projection = variable("W_P_0", [LSTM_UNITS, WORD_DIM], None, False)

    def step(state, x_and_mask):
        x, m = x_and_mask
        cell, hidden = state
        gates = tf.matmul(tf.concat([x, hidden], 1), kernel) + bias
        i, j, f, o = tf.split(gates, 4, axis=1)
        new_cell = tf.sigmoid(f + 1.0) * cell + tf.sigmoid(i) * tf.tanh(j)
        new_hidden = tf.sigmoid(o) * tf.tanh(new_cell)
        # Padding leaves the state unchanged.
        return (m * new_cell + (1 - m) * cell, m * new_hidden + (1 - m) * hidden)

    # One padding step more, so that tf.scan never runs over an empty sequence.
    padding = [[0, 0], [0, 1], [0, 0]]
    time_major = [tf.transpose(tf.pad(t, padding), [1, 0, 2]) for t in (inputs, mask)]
    zeros = tf.zeros([tf.shape(inputs)[0], LSTM_UNITS])
    _, hidden = tf.scan(step, tuple(time_major), initializer=(zeros, zeros))
    hidden = tf.transpose(hidden, [1, 0, 2])[:, : tf.shape(inputs)[1]]
    return tf.matmul(hidden, projection)


def _bilm(word_emb, sequence_len, mask):
    """Forward (RNN_0) and backward (RNN_1) stacks -> [layer1, layer2], each [b, t, 1024]."""
    directions = []
    for direction in range(2):
        x = word_emb
        if direction:
            x = tf.reverse_sequence(x, sequence_len, seq_axis=1, batch_axis=0)
        outputs = []
        for layer in range(LAYERS):
            scope = f"bilm/RNN_{direction}/RNN/MultiRNNCell/Cell{layer}"
            with v1.variable_scope(scope):
                y = _lstm(x, mask)
            x = y if layer == 0 else x + y  # residual connection between the layers
            outputs.append(x)
        if direction:
            outputs = [tf.reverse_sequence(y, sequence_len, 1, 0) for y in outputs]
        directions.append(outputs)
    return [tf.concat([fw, bw], axis=-1) * mask for fw, bw in zip(*directions)]


def elmo(tokens, sequence_len):
    """tokens string [batch, time], sequence_len int32 [batch] -> dict of outputs."""
    mask = tf.sequence_mask(sequence_len, tf.shape(tokens)[1], dtype=tf.float32)[..., None]
    word_emb = _word_embeddings(tokens) * mask
    layers = [tf.concat([word_emb, word_emb], -1)] + _bilm(word_emb, sequence_len, mask)
    with v1.variable_scope("aggregation"):
        weights = variable("weights", [len(layers)], v1.zeros_initializer())
        scaling = variable("scaling", [], v1.ones_initializer())
    normalized = tf.unstack(tf.nn.softmax(weights))
    weighted = scaling * tf.add_n([w * layer for w, layer in zip(normalized, layers)])
    count = tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
    return {
        "word_emb": word_emb,
        "lstm_outputs1": layers[1],
        "lstm_outputs2": layers[2],
        "elmo": weighted,
        "default": tf.reduce_sum(weighted, axis=1) / count,
        "sequence_len": sequence_len,
    }


def module_fn():
    text = v1.placeholder(tf.string, [None], name="text")
    tokens = v1.placeholder(tf.string, [None, None], name="tokens")
    sequence_len = v1.placeholder(tf.int32, [None], name="sequence_len")
    words = tf.strings.split(text)
    with v1.variable_scope(v1.get_variable_scope(), reuse=v1.AUTO_REUSE):
        from_text = elmo(words.to_tensor(default_value=""), tf.cast(words.row_lengths(), tf.int32))
        from_tokens = elmo(tokens, sequence_len)
    add_signature("default", {"text": text}, from_text)
    add_signature("tokens", {"tokens": tokens, "sequence_len": sequence_len}, from_tokens)
    notice.attach(PATH)


@register(
    name=f"standin/{PATH}",
    category="text_embedding",
    summary="ELMo interface: sentence (1024) and contextual word embeddings, trainable mixing",
    standin_of=notice.tfhub_url(PATH),
)
def build(out_dir):
    write_module(out_dir, module_fn, assets={"chars.txt": ("\n".join(CHARS) + "\n").encode()})
