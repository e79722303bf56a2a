"""tf.data input pipelines for the tasks: image folders and CSV files (see data.images)."""

from hubmodels.data.images import ImageData, from_csv, from_folder, image_size_for

__all__ = ["ImageData", "from_csv", "from_folder", "image_size_for"]
