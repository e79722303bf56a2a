"""tf.data input pipelines for the tasks: images (folders and CSV files, see data.images), texts
(CSV files and folders, see data.text), and the one image decode that training and serving
share (data.decode_image_bytes); video clips (see data.video, imported on first use)."""

from hubmodels.data.decode import decode_image_bytes
from hubmodels.data.images import ImageData, from_csv, from_folder, image_size_for
from hubmodels.data.text import TextData, text_from_csv, text_from_folder
from hubmodels.lazy import exports

_VIDEO = ("VideoData", "clip_from_frames", "clip_indices", "read_video", "video_clips")
__getattr__, __dir__ = exports(__name__, dict.fromkeys(_VIDEO, ".video"))

__all__ = [
    "ImageData",
    "TextData",
    "decode_image_bytes",
    "from_csv",
    "from_folder",
    "image_size_for",
    "text_from_csv",
    "text_from_folder",
    *_VIDEO,
]
