"""The video task on the command line: `watch`, `train --task video`, `predict` on video exports.

    hubmodels train --task video --module hubmodels://efficientnet_lite0/feature_vector \\
        --data gestures/ --frames 8 --out exports/gestures
    hubmodels predict --model exports/gestures clip.mp4
    hubmodels watch clip.mp4 --model exports/gestures       # or a camera index: watch 0
    hubmodels watch clip.mp4 --model gestures.tflite        # on LiteRT (see hubmodels.litert)
"""

import json
import time
from pathlib import Path

from hubmodels.cli.arguments import positive_int
from hubmodels.cli.training import fit_and_export
from hubmodels.errors import InputError
from hubmodels.litert import cli as litert
from hubmodels.tasks.video import TEMPORAL


def load_clips(paths, frames, frame_step, image_size):
    """float32 [n, frames, h, w, 3] in [0, 1]: the centred clip of each video file or frame
    folder, as video_clips makes validation clips; InputError naming a bad video."""
    import numpy as np

    from hubmodels.data.video import clip_from_frames, clip_indices, read_video

    clips = []
    for path in paths:
        video, _ = read_video(path)
        indices, _ = clip_indices(len(video), frames, frame_step)
        clips.append(clip_from_frames(video[indices], image_size))
    return np.stack(clips)


def predict(model, args) -> None:
    """`hubmodels predict` on a video export: top-k labels of video files (args.inputs)."""
    from hubmodels.tasks.image.classifiers import predict_top_k

    clips = load_clips(args.inputs, model.frames, model.frame_step, model.image_size)
    results = predict_top_k(model, clips, k=args.top, batch_size=1)
    if args.json:
        rows = [
            {"video": str(p), "top_k": [{"label": k, "score": round(s, 6)} for k, s in r]}
            for p, r in zip(args.inputs, results)
        ]
        print(json.dumps(rows, indent=2))
        return
    for path, result in zip(args.inputs, results):
        print(path)
        for label, score in result:
            print(f"  {score:7.2%}  {label}")


def train(args) -> None:
    from hubmodels.data.video import video_clips
    from hubmodels.hub.module import Module
    from hubmodels.tasks.video.classifiers import DEFAULT_FRAMES, module_input, video_classifier

    _, module_frames, size = module_input(Module(args.module))
    size = size or (args.frame_size, args.frame_size)
    frames = module_frames or args.frames or DEFAULT_FRAMES
    clips = video_clips(
        args.data,
        frames=frames,
        frame_step=args.frame_step,
        size=size,
        sampling=args.sampling,
        batch_size=args.batch_size,
        validation_split=args.validation_split,
        seed=args.seed,
        skip_errors=getattr(args, "skip_errors", False),
    )
    model = video_classifier(
        args.module,
        clips.num_classes,
        unfreeze=args.unfreeze,
        frames=frames,
        temporal=args.temporal,
        class_names=clips.class_names,
    )
    fit_and_export(
        model,
        clips,
        args,
        "videos",
        extra={"frames": frames, "skipped": len(clips.skipped)},
        frames=frames,
        image_size=size,
        step=args.step,
        frame_step=args.frame_step,
    )


def read_frames(source):
    """Frames (uint8 [h, w, 3] RGB) of a video file or a camera (an index such as "0"), and
    the source's frame rate (None when it does not say)."""
    from hubmodels.data.video import opencv

    cv2 = opencv()
    camera = source.isdigit()
    if not camera and not Path(source).is_file():
        raise InputError(f"video {source} does not exist (give a video file or a camera index)")
    capture = cv2.VideoCapture(int(source) if camera else source)
    if not capture.isOpened():
        what = f"camera {source}" if camera else f"video {source}"
        raise InputError(f"{what} cannot be opened (no such device, busy, or not a video)")
    fps = capture.get(cv2.CAP_PROP_FPS) or None

    def frames():
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()

    return frames(), fps


def paced(frames, fps=None):
    """The frames, none before its time at `fps` frames per second (None: as they come)."""
    if not fps:
        yield from frames
        return
    start = time.perf_counter()
    for count, frame in enumerate(frames):
        time.sleep(max(0.0, start + count / fps - time.perf_counter()))
        yield frame


def watch(args) -> None:
    from hubmodels.tasks.video.stream import VideoStream

    frames, fps = read_frames(args.source)
    if litert.uses_litert(args.model, args.runtime):
        model = litert.litert_predictor(args.model, args.threads)
    else:
        from hubmodels.export import load_model

        model = load_model(args.model)
    if model.task != "video":
        what = f"a {model.task} model" if model.task else "without hubmodels metadata"
        raise InputError(f"{args.model} is {what}; watch needs a video model")
    stream = VideoStream(model, step=args.step)
    shown = 0
    for frame in paced(frames, fps if args.realtime else None):
        stream.step(frame)
        shown = _show(stream.predictions, shown, args.json)
    stats = stream.close()
    _show(stream.predictions, shown, args.json)
    if args.json:
        print(json.dumps({"summary": stats}))
        return
    latency = stats["latency_ms"] or {}
    print(
        f"{stats['frames']} frames in {stats['seconds']:.1f} s: {stats['fps']} fps sustained; "
        f"{stats['predictions']} predictions, {stats['dropped']} stale windows dropped; "
        f"latency mean {latency.get('mean')} ms, median {latency.get('median')} ms"
    )


def _show(predictions, shown, as_json) -> int:
    """Prints predictions[shown:] (one line each); returns how many are shown now."""
    for prediction in predictions[shown:]:
        latency = round(prediction.latency * 1000, 1)
        if as_json:
            row = {
                "frame": prediction.frame,
                "label": prediction.label,
                "score": round(prediction.score, 6),
                "latency_ms": latency,
            }
            print(json.dumps(row), flush=True)
        else:
            print(
                f"frame {prediction.frame:6d}  {prediction.label:<16s} "
                f"{prediction.score:7.2%}  {latency:8.1f} ms",
                flush=True,
            )
    return len(predictions)


def add_commands(commands) -> None:
    """Registers `watch` on the `hubmodels` argument parser."""
    parser = commands.add_parser(
        "watch", help="classify a video file or camera in real time with a video export"
    )
    parser.add_argument("source", help="a video file, or a camera index such as 0")
    parser.add_argument(
        "--model", required=True, help="a video model exported by train, or its .tflite file"
    )
    parser.add_argument(
        "--step", type=positive_int, help="frames between predictions (default: the export's)"
    )
    parser.add_argument(
        "--realtime", action="store_true", help="play a file at its frame rate (default: at once)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per prediction")
    litert.add_runtime_arguments(parser)
    parser.set_defaults(run=watch)


def add_train_arguments(group) -> None:
    """The options of `hubmodels train --task video` (data: a folder of class folders of videos
    or frame folders, or a CSV path,label)."""
    group.add_argument("--frames", type=positive_int, help="clip length (default: 16)")
    group.add_argument("--frame-step", type=positive_int, default=2, help="video frames apart")
    group.add_argument("--frame-size", type=positive_int, default=224, help="any-size modules")
    group.add_argument("--temporal", choices=TEMPORAL, default="mean", help="frame modules")
    group.add_argument("--sampling", choices=("uniform", "random"), default="random")
    group.add_argument("--step", type=positive_int, default=4, help="watch: frames apart")
