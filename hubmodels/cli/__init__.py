"""The `hubmodels` command line: `main` (the entry point) and one file per command group."""

from hubmodels.cli.main import main, parser

__all__ = ["main", "parser"]
