"""training.strategy in this process: names and TF_CONFIG checked, the chief, where workers
write, the global batch, the shard policy; fit and the factories under a one-device
MirroredStrategy (two devices and several workers: distributed_test.py)."""

import json
import types

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.layers import module_layer
from hubmodels.hub.module import Module
from hubmodels.tasks.heads import dense_head
from hubmodels.tasks.task_model import TaskModel
from hubmodels.training import strategy as strategies
from tests.saved_models import write_old_tf1_savedmodel
from tests.tiny_images import datasets


@pytest.fixture(scope="module")
def mirrored():
    return tf.distribute.MirroredStrategy(["/cpu:0"])


def test_names_and_strategies_resolve(mirrored):
    assert strategies.resolve(None) is None
    assert strategies.resolve(mirrored) is mirrored
    made = strategies.resolve("mirrored")
    assert isinstance(made, tf.distribute.MirroredStrategy)
    assert strategies.resolve("mirrored") is made  # one per process and name
    with pytest.raises(InputError, match="mirrored, multiworker, tpu.*got 'mirror'"):
        strategies.resolve("mirror")


@pytest.mark.parametrize(
    "tf_config, problem",
    [
        (None, "TF_CONFIG environment variable, which is not set"),
        ("{not json", "TF_CONFIG is not a valid cluster"),
        (json.dumps({"cluster": {"worker": ["127.0.0.1:1"]}}), "missing key 'task'"),
        (
            json.dumps(
                {"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 3}}
            ),
            "task index 3 is not among the 1 addresses",
        ),
    ],
    ids=["unset", "not-json", "no-task", "bad-index"],
)
def test_multiworker_needs_a_tf_config_naming_this_worker(monkeypatch, tf_config, problem):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if tf_config is not None:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(InputError, match=problem):
        strategies.resolve("multiworker")


def _in_cluster(task_type, task_id, cluster):
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(cluster), task_type=task_type, task_id=task_id
    )
    return types.SimpleNamespace(cluster_resolver=resolver)


def test_the_chief_writes_and_other_workers_write_to_temporary_folders(tmp_path, mirrored):
    workers = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    with_chief = {"chief": ["127.0.0.1:3"], **workers}
    assert strategies.is_chief(None) and strategies.is_chief(mirrored)
    assert strategies.is_chief(_in_cluster("worker", 0, workers))
    assert not strategies.is_chief(_in_cluster("worker", 1, workers))
    assert strategies.is_chief(_in_cluster("chief", 0, with_chief))
    assert not strategies.is_chief(_in_cluster("worker", 0, with_chief))
    with strategies.write_path(tmp_path / "model", _in_cluster("worker", 0, workers)) as path:
        assert path == tmp_path / "model"
    with strategies.write_path(tmp_path / "model", _in_cluster("worker", 1, workers)) as path:
        assert path.name == "model" and tmp_path not in path.parents
        path.mkdir()
    assert not path.parent.exists()


def test_global_batch_is_per_replica_times_replicas(mirrored):
    assert strategies.global_batch_size(16, None) == 16
    assert strategies.global_batch_size(16, mirrored) == 16
    assert strategies.global_batch_size(16, types.SimpleNamespace(num_replicas_in_sync=4)) == 64


def test_file_pipelines_shard_by_file_and_others_by_element(tmp_path, mirrored):
    policy = tf.data.experimental.AutoShardPolicy
    record = tmp_path / "a.tfrecord"
    with tf.io.TFRecordWriter(str(record)) as writer:
        writer.write(b"x")
    files = tf.data.TFRecordDataset([str(record)]).map(tf.strings.length).batch(2)
    in_memory = tf.data.Dataset.from_tensor_slices(np.zeros([4, 2])).batch(2)
    names = tf.data.Dataset.from_tensor_slices([str(record)]).map(tf.io.read_file)

    def shard_policy(dataset):
        return strategies.sharded(dataset, mirrored).options().experimental_distribute

    assert shard_policy(files).auto_shard_policy == policy.FILE
    assert shard_policy(in_memory).auto_shard_policy == policy.DATA
    assert shard_policy(names).auto_shard_policy == policy.DATA  # file names, not a reader
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policy.OFF
    assert shard_policy(in_memory.with_options(options)).auto_shard_policy == policy.OFF
    assert strategies.sharded(in_memory, None) is in_memory


@pytest.mark.parametrize(
    "options",
    [
        dict(unfreeze=None),
        dict(unfreeze=2, module_learning_rate=1e-3, gradual_unfreeze=True),
    ],
    ids=["cached", "fine-tuned"],
)
def test_fit_under_a_strategy_trains_the_factory_model(tiny_image_module, mirrored, options):
    unfreeze = options.pop("unfreeze")
    model = hubmodels.feature_vector_classifier(
        str(tiny_image_module), 2, unfreeze=unfreeze, strategy=mirrored
    )
    assert all(isinstance(w, tf.distribute.DistributedValues) for w in model.weights)
    train, validation = datasets()
    history = hubmodels.fit(model, train, validation, epochs=2, verbose=0, **options)
    assert model.distribute_strategy is mirrored  # fit's strategy=None: the model's own
    assert len(history.history["val_accuracy"]) == 2
    assert model.optimizer._distribution_strategy is mirrored


def test_model_built_outside_the_strategy_is_refused(tiny_image_module, mirrored):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2)
    train, _ = datasets()
    with pytest.raises(InputError, match="built outside any strategy.*strategy= argument"):
        hubmodels.fit(model, train, epochs=1, strategy=mirrored)
    built = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, strategy=mirrored)
    other = tf.distribute.MirroredStrategy(["/cpu:0"])
    with pytest.raises(InputError, match="under another MirroredStrategy"):
        hubmodels.fit(built, train, epochs=1, strategy=other)


def test_tf1_module_under_a_strategy_fails_at_once_saying_why(tiny_tf1_image_module, mirrored):
    with pytest.raises(InputError, match=r"TF1 format.*#469.*without a strategy, or use a TF2"):
        hubmodels.feature_vector_classifier(
            str(tiny_tf1_image_module), 2, unfreeze=1, strategy=mirrored
        )


def test_tf1_session_fallback_runs_frozen_under_a_strategy(tmp_path, mirrored):
    path = write_old_tf1_savedmodel(tmp_path / "old", bad_signature="missing_output")
    with mirrored.scope():
        module = Module(str(path))  # TF2 refuses it: a TF1 session runs it, no variables
        inputs = keras.Input((2,), name="x")
        outputs = dense_head(2, False, 0.0, ())(module_layer(module)(inputs))
        model = TaskModel(inputs, outputs, task="image")
    assert module.runs_in_session
    x = np.arange(32, dtype="float32").reshape(16, 2) / 32
    data = tf.data.Dataset.from_tensor_slices((x, np.arange(16) % 2)).batch(8)
    history = hubmodels.fit(model, data, epochs=2, cache_features=False, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
