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


class _TinyImageNet(tf.Module):
    """images float32 [batch, 32, 32, 3] -> features [batch, 8]; blocks block1, block2 with BN."""

    def __init__(self):
        super().__init__()
        init = tf.random.stateless_normal
        self.kernels = [
            tf.Variable(init([3, 3, 3, 4], seed=[1, 1]) * 0.3, name="tiny/block1/conv/kernel"),
            tf.Variable(init([3, 3, 4, 8], seed=[2, 2]) * 0.3, name="tiny/block2/conv/kernel"),
        ]
        self.gammas = [
            tf.Variable(tf.ones([c]), name=f"tiny/block{i}/bn/gamma") for i, c in ((1, 4), (2, 8))
        ]
        self.means = [
            tf.Variable(tf.zeros([c]), trainable=False, name=f"tiny/block{i}/bn/moving_mean")
            for i, c in ((1, 4), (2, 8))
        ]

    def forward(self, images, training):
        x = images
        for kernel, gamma, mean in zip(self.kernels, self.gammas, self.means):
            x = tf.nn.conv2d(x, kernel, strides=2, padding="SAME")
            if training:
                batch_mean = tf.reduce_mean(x, axis=[0, 1, 2])
                mean.assign(0.9 * mean + 0.1 * batch_mean)
                x = (x - batch_mean) * gamma
            else:
                x = (x - mean) * gamma
            x = tf.nn.relu(x)
        return tf.reduce_mean(x, axis=[1, 2])


def write_tiny_image_module(path: Path) -> Path:
    """A reusable SavedModel on 32x32 images with block-scoped variables and batch norm."""
    net = _TinyImageNet()
    spec = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
    net.__call__ = tf.function(lambda images, training=False: net.forward(images, training))
    for training in (False, True):
        net.__call__.get_concrete_function(spec, training)
    tf.saved_model.save(net, str(path), signatures={})
    return path
