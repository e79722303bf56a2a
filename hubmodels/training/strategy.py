"""tf.distribute for fit, the factories, the CLI and tuning: which strategy a name means, who
writes (the chief), where other workers write, the global batch, and how input is sharded.

    strategy = resolve("mirrored")      # "mirrored" | "multiworker" | "tpu" | a Strategy | None
    model = hubmodels.feature_vector_classifier(handle, 5, strategy=strategy)
    hubmodels.fit(model, data.train, epochs=5, strategy=strategy)

"mirrored" uses every local GPU (else the CPU); "multiworker" reads the cluster from the
TF_CONFIG environment variable and must be made before TensorFlow runs anything else; "tpu"
connects to the TPU of a TPU VM (or the one named by TPU_NAME).
"""

import contextlib
import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

from hubmodels._keras import tf
from hubmodels.errors import HubModelsError, InputError
from hubmodels.hub.layer import ModuleLayer

NAMES = ("mirrored", "multiworker", "tpu")
# tf.data source ops that read files: datasets with one of them are sharded by file
FILE_READERS = frozenset(
    {
        "TFRecordDataset",
        "TFRecordDatasetV2",
        "TextLineDataset",
        "TextLineDatasetV2",
        "FixedLengthRecordDataset",
        "FixedLengthRecordDatasetV2",
    }
)
_KINDS = {
    "mirrored": tf.distribute.MirroredStrategy,
    "multiworker": tf.distribute.MultiWorkerMirroredStrategy,
    "tpu": tf.distribute.TPUStrategy,
}


class StrategyError(HubModelsError, RuntimeError):
    """A strategy that this machine or this process cannot give (no TPU, made too late)."""


def resolve(strategy):
    """A tf.distribute.Strategy for a name in NAMES (the same one each time in a process) or a
    Strategy (returned as is); None: None.

    InputError for an unknown name or a TF_CONFIG that does not describe this worker;
    StrategyError when no TPU answers or TensorFlow started before "multiworker" was made.
    """
    if strategy is None or isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy not in NAMES:
        raise InputError(
            f"strategy must be one of {', '.join(NAMES)}, a tf.distribute.Strategy or None, "
            f"got {strategy!r}"
        )
    return _named(strategy)


@functools.cache  # a process makes one of each: collectives and TPUs are set up once
def _named(name):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "tpu":
        return _tpu_strategy()
    _check_tf_config()
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:  # "Collective ops must be configured at program startup"
        raise StrategyError(
            f'strategy "multiworker" must be made before TensorFlow runs anything else '
            f"({error}): make it first (hubmodels.training.strategy.resolve) and pass it on"
        ) from error


def _check_tf_config() -> None:
    """InputError unless TF_CONFIG holds a cluster and this process's task in it."""
    text = os.environ.get("TF_CONFIG")
    example = (
        'e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
        '"task": {"type": "worker", "index": 0}}'
    )
    if not text:
        raise InputError(
            f'strategy "multiworker" reads the cluster from the TF_CONFIG environment '
            f"variable, which is not set: set it in every worker, {example}"
        )
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        addresses = cluster[task["type"]]
        index = int(task["index"])
        if not 0 <= index < len(addresses):
            raise IndexError(f"task index {index} is not among the {len(addresses)} addresses")
    except (ValueError, TypeError, KeyError, IndexError) as error:
        detail = f"missing key {error}" if isinstance(error, KeyError) else str(error)
        raise InputError(
            f"TF_CONFIG is not a valid cluster for this worker ({detail}): {example}"
        ) from None


def _tpu_strategy():
    name = os.environ.get("TPU_NAME", "local")
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=name)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StrategyError(
            f'strategy "tpu": no TPU found (TPU {name!r}: {first}); run on a TPU VM, or set '
            'TPU_NAME, or use "mirrored"'
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def for_model(model, strategy):
    """The strategy to train `model` with: the one it was built under, checked against
    `strategy` (a name, a Strategy or None: the model's own).

    InputError when the model was built outside the scope of the strategy asked for (its
    variables would not be distributed; build it with the factory's strategy= argument), or
    when some of its variables escaped the scope (see check_variables).
    """
    own = model._distribution_strategy  # set by keras.Model when made inside a scope
    if own is not None and (
        strategy is None
        or own is strategy
        or (isinstance(strategy, str) and isinstance(own, _KINDS.get(strategy, ())))
    ):
        check_variables(model, own)
        return own
    if strategy is None:
        return None
    wanted = strategy if isinstance(strategy, str) else type(strategy).__name__
    if isinstance(strategy, str) and strategy not in NAMES:
        resolve(strategy)  # raises InputError for the unknown name
    where = "outside any strategy" if own is None else f"under another {type(own).__name__}"
    raise InputError(
        f"model {model.name!r} was built {where}, so its variables are not distributed by "
        f"strategy {wanted}: build it with the factory's strategy= argument (e.g. "
        f"feature_vector_classifier(..., strategy=s)) and pass the same s to fit"
    )


def check_variables(model, strategy) -> None:
    """InputError naming the layer of the first variable of `model` made outside `strategy`'s
    scope; TF1 modules (TF's TF1 loader makes plain variables) get a message of their own."""
    for layer in model.layers:
        for variable in layer.weights:
            if strategy.extended.variable_created_in_scope(variable):
                continue
            if isinstance(layer, ModuleLayer):
                raise InputError(
                    f"module {layer.handle} is in the TF1 format (or a TF1 SavedModel): "
                    "TensorFlow loads its variables as plain variables that no "
                    "tf.distribute strategy can mirror (tensorflow/hub #469, #712). Train it "
                    "without a strategy, or use a TF2 SavedModel of the module"
                )
            raise InputError(
                f"variable {variable.name} of layer {layer.name!r} was made outside the scope "
                f"of the {type(strategy).__name__}: create the whole model under "
                "strategy.scope()"
            )


def builds_under(factory):
    """Gives a model factory a `strategy=` argument (a name, a Strategy or None): the factory
    then runs inside `strategy.scope()`, so the module's variables and the head's are
    distributed, and the model is checked for variables made elsewhere (TF1 modules)."""

    @functools.wraps(factory)
    def build(*args, strategy=None, **kwargs):
        resolved = resolve(strategy)
        if resolved is None:
            return factory(*args, **kwargs)
        with resolved.scope():
            model = factory(*args, **kwargs)
        check_variables(model, resolved)
        return model

    return build


def is_chief(strategy) -> bool:
    """Whether this process writes exports and checkpoints: always without a cluster; in a
    cluster the "chief" task, or worker 0 when there is no chief."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if strategy is None or resolver is None or task_type is None:
        return True
    if task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and resolver.task_id == 0 and not has_chief


@contextlib.contextmanager
def write_path(path, strategy):
    """Where this process writes what belongs at `path`: `path` on the chief; on other
    workers (which must still write: saving under MultiWorkerMirroredStrategy is collective)
    a temporary folder, removed when the block ends."""
    if is_chief(strategy):
        yield Path(path)
        return
    folder = Path(tempfile.mkdtemp(prefix="hubmodels-worker-"))
    try:
        yield folder / Path(path).name
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def global_batch_size(per_replica: int, strategy) -> int:
    """The batch that gives each replica of `strategy` (None: one) `per_replica` examples."""
    return int(per_replica) * (strategy.num_replicas_in_sync if strategy is not None else 1)


def sharded(dataset, strategy, in_memory=False):
    """`dataset` with the auto-shard policy for `strategy`'s workers: FILE when it reads
    files (TFRecord, text lines, fixed-length records), DATA otherwise (in-memory tensors,
    or file names mapped to their contents). A policy the dataset already sets is kept.
    in_memory=True: the caller knows it reads no file (its graph is not searched)."""
    if strategy is None or dataset is None:
        return dataset
    policy = dataset.options().experimental_distribute.auto_shard_policy
    if policy != tf.data.experimental.AutoShardPolicy.AUTO:
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.FILE
        if not in_memory and reads_files(dataset)
        else tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(options)


def reads_files(dataset) -> bool:
    """Whether the tf.data pipeline has a file-reading source (see FILE_READERS)."""
    graph = tf.compat.v1.GraphDef.FromString(dataset._as_serialized_graph().numpy())
    ops = {node.op for node in graph.node}
    ops.update(node.op for function in graph.library.function for node in function.node_def)
    return bool(ops & FILE_READERS)
