"""Exports: atomic SavedModel writes whose serving signatures come from the model's task."""

from hubmodels.export.save import load_model, save_model

__all__ = ["load_model", "save_model"]
