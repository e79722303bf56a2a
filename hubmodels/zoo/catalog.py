"""Imports every module that registers zoo entries (see registry.py)."""
