"""`VideoStream`: real-time classification of a video, one frame at a time.

    stream = VideoStream(hubmodels.load_model("exports/gestures"))
    for frame in frames:                  # uint8 [h, w, 3] RGB, as a camera gives them
        prediction = stream.step(frame)   # a Prediction, or None
        if prediction:
            print(prediction.label, prediction.score, prediction.latency)
    print(stream.close())                 # waits for the last window; the stats

A sliding window holds the last frames; every `step` frames it becomes a clip that a worker
thread classifies, so reading frames never waits for the model. The worker takes clips
from a queue of size one: when a new clip comes while the last one still waits there, the
waiting one is stale, is dropped and counted (`dropped`). A frame model (an image module
on every frame, then a temporal head) runs its module once per frame: a window computes
the features of its new frames only and reuses those of the frames it shares with the
last window. So does a LiteRT predictor (hubmodels.load_litert) of a frame model's file,
through its signatures "frame_features" and "temporal_head"; other LiteRT files (clip
models, int8 files) run their whole clip model on every window. A streaming model with
states (MoViNet's) would implement the same `step(frame)` interface with its states instead.
"""

import collections
import dataclasses
import queue
import threading
import time

import numpy as np

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.tasks.video.serving import (
    DEFAULT_STEP,
    FRAME_FEATURES,
    TEMPORAL_HEAD,
    frame_parts,
)

_STOP = object()


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One classified window: `frame` is the index of its last frame (from 0), `latency` the
    seconds from that frame's arrival to the result, `compute` the model's share of them."""

    frame: int
    label: str
    score: float
    index: int
    latency: float
    compute: float
    probabilities: np.ndarray


class VideoStream:
    """A sliding window over the last frames of a video, classified every `step` frames.

    model: a video model (hubmodels.load_model of a video export, or video_classifier), or
      a LiteRT predictor of one (hubmodels.load_litert); its clips are float32
      [1, frames, h, w, 3] in [0, 1]. A frame model (Keras, or a LiteRT file with its
      module and head as signatures) reuses the features of frames.
    frames, image_size, frame_step, step: the clip length, frame size (height, width),
      video frames between two clip frames and frames between two predictions. None: the
      export's metadata (step: 4, frame_step: 1 for a model without metadata).
    drop_stale: drop a clip still waiting when the next one comes (real time); False
      waits for the worker instead, so that every window is classified (offline).
    Frames given to `step` are uint8 [h, w, 3] RGB of any size: they get the centred crop
    and resize of training (hubmodels.data.video.clip_from_frames).
    """

    def __init__(
        self, model, frames=None, step=None, image_size=None, frame_step=None, drop_stale=True
    ):
        shape = _clip_shape(model)
        if shape is None:
            raise InputError(
                f"VideoStream needs a video model taking clips [batch, frames, h, w, 3], "
                f"got {_name(model)!r}"
            )
        self.frames = _positive("frames", _first(frames, getattr(model, "frames", None), shape[1]))
        if shape[1] is not None and self.frames != shape[1]:
            raise InputError(
                f"model {_name(model)!r} takes clips of exactly {shape[1]} frames, frames="
                f"{self.frames} differs"
            )
        self.step_size = _positive("step", _first(step, getattr(model, "step", None), DEFAULT_STEP))
        self.frame_step = _positive(
            "frame_step", _first(frame_step, getattr(model, "frame_step", None), 1)
        )
        size = _first(image_size, getattr(model, "image_size", None), None)
        if size is None and None not in shape[2:4]:
            size = tuple(shape[2:4])
        if size is None:
            raise InputError(f"model {_name(model)!r} takes frames of any size: give image_size")
        self.image_size = tuple(int(d) for d in size)
        self.class_names = getattr(model, "class_names", None)
        self.drop_stale = bool(drop_stale)
        self.reuses_frames = _reuses_frames(model)
        self._trace(model)
        self._cache = {}  # frame index -> its features (frame models), kept by the worker
        span = (self.frames - 1) * self.frame_step + 1
        self._window = collections.deque(maxlen=span)
        self._queue = queue.Queue(maxsize=1)
        self._done = collections.deque()
        self.predictions = []
        self.count = 0
        self.dropped = 0
        self.windows = 0
        self._started = None
        self._error = None  # what stopped the worker, raised in the caller's thread
        self._worker = threading.Thread(target=self._work, name="video-stream", daemon=True)
        self._worker.start()

    def step(self, frame):
        """Adds one frame (uint8 [h, w, 3] RGB); returns the newest prediction finished since
        the last call, or None. Every prediction is also kept in `predictions`."""
        from hubmodels.data.video import clip_from_frames

        self._raise_worker_error()
        arrived = time.perf_counter()
        if self._started is None:
            self._started = arrived
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[-1] != 3:
            raise InputError(f"a frame is uint8 [height, width, 3] RGB, got shape {frame.shape}")
        self._window.append(clip_from_frames(frame, self.image_size))
        self.count += 1
        span = self._window.maxlen
        if self.count >= span and (self.count - span) % self.step_size == 0:
            clip = np.stack(list(self._window)[:: -self.frame_step][::-1])
            indices = self.count - 1 - self.frame_step * np.arange(self.frames)[::-1]
            self._submit((indices, arrived, clip))
        return self._newest()

    def close(self) -> dict:
        """Waits for the window in flight, stops the worker; returns `stats()`. Raises what
        the worker raised, if it failed."""
        if self._worker.is_alive():
            self._put(_STOP)
            self._worker.join()
        self._ended = time.perf_counter()
        self._newest()
        self._raise_worker_error()
        return self.stats()

    def stats(self) -> dict:
        """frames, seconds (first frame to close, or to now), fps (frames per second
        sustained), windows (clips made), predictions, dropped (stale clips never
        classified), latency_ms and compute_ms (mean, median and max over predictions)."""
        end = getattr(self, "_ended", None) or time.perf_counter()
        seconds = end - self._started if self._started is not None else 0.0
        result = {
            "frames": self.count,
            "seconds": round(seconds, 3),
            "fps": round(self.count / seconds, 2) if seconds else None,
            "windows": self.windows,
            "predictions": len(self.predictions),
            "dropped": self.dropped,
        }
        for name in ("latency", "compute"):
            values = np.array([getattr(p, name) for p in self.predictions]) * 1000
            result[f"{name}_ms"] = (
                {
                    "mean": round(float(values.mean()), 1),
                    "median": round(float(np.median(values)), 1),
                    "max": round(float(values.max()), 1),
                }
                if len(values)
                else None
            )
        return result

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _trace(self, model) -> None:
        """Traces what the worker runs now, so that no prediction waits for it: the model on
        a clip [1, frames, h, w, 3], or for a frame model its module on frames [n, h, w, 3]
        and its head on the features of a clip's frames [1, frames, d]. A LiteRT predictor
        allocates its tensors for them."""
        clip = np.zeros([1, self.frames, *self.image_size, 3], np.float32)
        keras_model = isinstance(model, keras.Model)
        if not self.reuses_frames and keras_model:
            spec = tf.TensorSpec(clip.shape, tf.float32)
            self._predict = tf.function(
                lambda clip: model(clip, training=False), input_signature=[spec]
            )
        elif not self.reuses_frames:
            self._predict = lambda clip: model.predict(clip, batch_size=1)
        elif keras_model:
            module, head = frame_parts(model)
            frame_spec = tf.TensorSpec([None, *self.image_size, 3], tf.float32)
            self._features = tf.function(
                lambda frames: module(frames, training=False), input_signature=[frame_spec]
            )
            depth = self._features(clip[0]).shape[-1]
            self._head = tf.function(  # the head takes features [frames, d], as it was built
                lambda features: head(tf.reshape(features, [-1, depth]), training=False),
                input_signature=[tf.TensorSpec([1, self.frames, depth], tf.float32)],
            )
        else:
            self._features = _signature(model, FRAME_FEATURES, "frames", "features")
            self._head = _signature(model, TEMPORAL_HEAD, "features", "probabilities")
        if self.reuses_frames:
            self._head(np.asarray(self._features(clip[0]))[None])
        else:
            self._predict(clip)

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _put(self, item) -> None:
        """Waits for room in the queue, while the worker lives (else raises its error)."""
        while self._worker.is_alive():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        self._raise_worker_error()

    def _submit(self, item) -> None:
        """Queues a clip; a clip still waiting is stale: it is replaced and counted."""
        self.windows += 1
        if not self.drop_stale:
            self._put(item)
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            try:
                self._queue.get_nowait()
                self.dropped += 1
            except queue.Empty:  # the worker took it meanwhile
                pass
            self._queue.put_nowait(item)  # only this thread puts: there is room now

    def _work(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            indices, arrived, clip = item
            start = time.perf_counter()
            try:
                probabilities = self._classify(indices, clip)
            except Exception as error:  # noqa: BLE001 - raised again in the caller's thread
                self._error = error
                return
            end = time.perf_counter()
            index = int(np.argmax(probabilities))
            label = self.class_names[index] if self.class_names else f"class_{index}"
            self._done.append(
                Prediction(
                    frame=int(indices[-1]),
                    label=label,
                    score=float(probabilities[index]),
                    index=index,
                    latency=end - arrived,
                    compute=end - start,
                    probabilities=probabilities,
                )
            )

    def _classify(self, indices, clip):
        """Probabilities [classes] of a clip [frames, h, w, 3] whose frames are the video's
        frames `indices`; a frame model computes only the frames not seen before."""
        if not self.reuses_frames:
            return np.asarray(self._predict(clip[None]))[0]
        new = [i for i, index in enumerate(indices) if index not in self._cache]
        if new:
            for i, features in zip(new, np.asarray(self._features(clip[new]))):
                self._cache[indices[i]] = features
        self._cache = {index: self._cache[index] for index in indices}
        return np.asarray(self._head(np.stack([self._cache[i] for i in indices])[None]))[0]

    def _newest(self):
        newest = None
        while self._done:
            newest = self._done.popleft()
            self.predictions.append(newest)
        return newest


def _clip_shape(model):
    """The shape of a model's one input (None for any size) if it takes clips
    [batch, frames, h, w, 3], else None. model: a Keras model or a LiteRT predictor."""
    if isinstance(model, keras.Model):
        shapes = [tuple(x.shape) for x in model.inputs]
    else:
        shapes = getattr(model, "input_shapes", None) or []
    return shapes[0] if len(shapes) == 1 and len(shapes[0]) == 5 else None


def _name(model) -> str:
    """A model's name, a predictor's file, or else its type."""
    return getattr(model, "name", None) or getattr(model, "origin", None) or type(model).__name__


def _reuses_frames(model) -> bool:
    """Whether `model` runs an image module on every frame: a Keras frame model (see
    serving.frame_parts), or a LiteRT predictor with that module and head as signatures."""
    if isinstance(model, keras.Model):
        return frame_parts(model) is not None
    return {FRAME_FEATURES, TEMPORAL_HEAD} <= set(getattr(model, "signatures", ()))


def _signature(predictor, name, input_name, output_name):
    """array -> array: the LiteRT predictor's signature `name` (one input, one output)."""
    return lambda array: predictor.run(name, {input_name: array})[output_name]


def _first(*values):
    return next((v for v in values if v is not None), None)


def _positive(name, value) -> int:
    if value is None:
        raise InputError(f"the model takes clips of any length: give {name}")
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
