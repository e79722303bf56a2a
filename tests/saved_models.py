"""Small SavedModels written by the tests, each showing one format's behaviour."""

from pathlib import Path

from hubmodels._keras import keras, tf

v1 = tf.compat.v1


def write_keras_savedmodel(path: Path) -> Path:
    """A tf-keras model saved with model.save: x float32 [batch, 3] -> softmax [batch, 2]."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(3,), name="x")
    outputs = keras.layers.Dense(2, activation="softmax", name="probs")(inputs)
    keras.Model(inputs, outputs).save(str(path))
    return path


class _Reusable(tf.Module):
    """A reusable SavedModel: __call__(images [batch, 4], training) -> [batch, 2], no signature."""

    def __init__(self):
        super().__init__()
        self.kernel = tf.Variable(tf.reshape(tf.range(8, dtype=tf.float32), [4, 2]) / 10.0)
        self.scale = tf.Variable(2.0, trainable=False)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 4], tf.float32, name="images"),
            tf.TensorSpec([], tf.bool),
        ]
    )
    def _call(self, images, training):
        outputs = tf.matmul(images, self.kernel)
        return tf.where(training, outputs * self.scale, outputs)

    def __call__(self, images, training=False):
        return self._call(images, tf.constant(training))


def write_reusable_savedmodel(path: Path) -> Path:
    module = _Reusable()
    call = tf.function(lambda images, training=False: module._call(images, tf.constant(training)))
    module.__call__ = call
    for training in (False, True):
        call.get_concrete_function(tf.TensorSpec([None, 4], tf.float32, name="images"), training)
    tf.saved_model.save(module, str(path), signatures={})
    return path


def write_old_tf1_savedmodel(path: Path, bad_signature: str = "") -> Path:
    """A TF1 SavedModel (tag serve) with reference variables, as early TF1 wrote them.

    Signatures: `serving_default` (x float32 [?, 2] -> y = x @ [[1], [2]]) and
    `count` (x -> count, a counter incremented on every call). With
    bad_signature="missing_output" or "output_shape", a third signature `bad`
    points at a tensor that does not exist or declares a shape the graph
    contradicts: TF2's loader then refuses the whole model.
    """
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        weights = v1.Variable([[1.0], [2.0]], name="w", use_resource=False)
        counter = v1.Variable(0.0, name="counter", use_resource=False)
        y = tf.matmul(x, weights, name="y")
        increment = v1.assign_add(counter, 1.0)
        with tf.control_dependencies([increment]):
            count = tf.identity(counter + 0.0, name="count")
        signatures = {
            "serving_default": v1.saved_model.predict_signature_def({"x": x}, {"y": y}),
            "count": v1.saved_model.predict_signature_def({"x": x}, {"count": count}),
        }
        if bad_signature:
            bad = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            if bad_signature == "missing_output":
                bad.outputs["y"].name = "no_such_tensor:0"
            else:
                bad.outputs["y"].tensor_shape.dim[1].size = 7
            signatures["bad"] = bad
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map=signatures)
            builder.save()
    return path
