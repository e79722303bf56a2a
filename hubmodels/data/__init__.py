"""tf.data input pipelines for the tasks (image folders and CSV files, see data.images), and
the one image decode that training and serving share (data.decode_image_bytes)."""

from hubmodels.data.decode import decode_image_bytes
from hubmodels.data.images import ImageData, from_csv, from_folder, image_size_for

__all__ = ["ImageData", "decode_image_bytes", "from_csv", "from_folder", "image_size_for"]
