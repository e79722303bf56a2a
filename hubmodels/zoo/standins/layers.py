"""TF1 graph layers for the stand-ins (tf.compat.v1 variables, TF-Slim-like scope names).

Every layer creates its variables with `tf.compat.v1.get_variable` under the
current variable scope, so a caller's `variable_scope("InceptionV3/Conv2d_1a_3x3")`
gives variables named like the original module's.
"""

from hubmodels._keras import tf

v1 = tf.compat.v1
BN_EPSILON = 1e-3


def he_init(gain=2.0):
    """Truncated normal with variance gain / fan_in: 2 keeps ReLU activations at a steady
    scale, 1 suits a linear output."""
    return v1.variance_scaling_initializer(gain, mode="fan_in", distribution="truncated_normal")


def variable(name, shape, initializer=None, trainable=True):
    return v1.get_variable(name, shape, tf.float32, initializer or he_init(), trainable=trainable)


def conv(x, depth, kernel=1, stride=1, padding="SAME", bias=False, trainable=True, gain=2.0):
    """N-d convolution (2-d for NHWC, 3-d for NDHWC) with `weights` (and `biases`)."""
    spatial = x.shape.rank - 2
    kernel = [kernel] * spatial if isinstance(kernel, int) else list(kernel)
    stride = [stride] * spatial if isinstance(stride, int) else list(stride)
    shape = kernel + [x.shape[-1], depth]
    weights = variable("weights", shape, he_init(gain), trainable)
    y = tf.nn.convolution(x, weights, strides=stride, padding=padding)
    if bias:
        y += variable("biases", [depth], v1.zeros_initializer(), trainable)
    return y


def depthwise(x, kernel=3, multiplier=1, padding="SAME", trainable=True):
    """2-d depthwise convolution, channels * multiplier out, stride 1."""
    shape = [kernel, kernel, x.shape[-1], multiplier]
    # He initialisation for a fan-in of kernel * kernel (one input channel per output).
    init = v1.random_normal_initializer(stddev=(2.0 / kernel**2) ** 0.5)
    weights = variable("depthwise_weights", shape, init, trainable)
    return tf.nn.depthwise_conv2d(x, weights, [1, 1, 1, 1], padding)


def dense(x, units, bias=True, trainable=True, gain=2.0):
    y = tf.matmul(x, variable("weights", [x.shape[-1], units], he_init(gain), trainable))
    if bias:
        y += variable("biases", [units], v1.zeros_initializer(), trainable)
    return y


def batch_norm(x, is_training, scale=False, trainable=True, scope="BatchNorm"):
    """Batch norm over all axes but the last: batch statistics when training, else moving ones.

    Variables (TF-Slim names): beta, gamma (with scale=True), moving_mean,
    moving_variance (never trainable, not updated by this stand-in).
    """
    depth = x.shape[-1]
    with v1.variable_scope(scope):
        beta = variable("beta", [depth], v1.zeros_initializer(), trainable)
        gamma = variable("gamma", [depth], v1.ones_initializer(), trainable) if scale else None
        moving_mean = variable("moving_mean", [depth], v1.zeros_initializer(), False)
        moving_variance = variable("moving_variance", [depth], v1.ones_initializer(), False)
    if is_training:
        mean, variance = tf.nn.moments(x, axes=list(range(x.shape.rank - 1)))
    else:
        mean, variance = moving_mean, moving_variance
    return tf.nn.batch_normalization(x, mean, variance, beta, gamma, BN_EPSILON)


def conv_bn_relu(x, scope, depth, is_training, kernel=1, stride=1, padding="SAME", scale=False):
    """TF-Slim's conv2d + batch norm + ReLU: variables `scope`/weights and `scope`/BatchNorm/*."""
    with v1.variable_scope(scope):
        return tf.nn.relu(batch_norm(conv(x, depth, kernel, stride, padding), is_training, scale))
