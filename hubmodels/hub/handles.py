"""Handles: one function turns any handle into a local module directory.

Accepted handles:
  - a local directory holding saved_model.pb, or `file://` + that path;
  - a local `.tar`/`.tar.gz`/`.tgz` archive (extracted once, safely, into
    `HUBMODELS_HOME/archives/`);
  - `hubmodels://NAME`, a module of the offline zoo (built on first use);
  - https URLs (tfhub.dev, Kaggle, any .tar.gz) and gs:// paths, through
    tensorflow_hub's own resolvers and its cache `TFHUB_CACHE_DIR`.
"""

import hashlib
import importlib
import os
import socket
import urllib.parse
from pathlib import Path

from hubmodels import paths
from hubmodels.errors import HandleError, ModuleFormatError
from hubmodels.hub import archives

SCHEME = "hubmodels://"
_CONNECT_TIMEOUT_S = 3.0


def resolve(handle) -> str:
    """Returns the local directory of the module named by `handle`.

    Raises HandleError (unknown or unreachable handle) or ModuleFormatError
    (a folder or archive that is not a module), each naming the handle.
    """
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if not isinstance(handle, str) or not handle:
        raise HandleError(f"a module handle must be a non-empty string, got {handle!r}")
    if handle.startswith(SCHEME):
        from hubmodels.zoo import cache

        return str(cache.ensure_built(handle[len(SCHEME) :]))
    if handle.startswith("file://"):
        handle = urllib.parse.unquote(urllib.parse.urlparse(handle).path)
    if handle.startswith(("http://", "https://", "gs://")):
        return _resolve_remote(handle)
    return _resolve_local(Path(handle).expanduser())


def _hub_module(name):
    """A tensorflow_hub submodule, imported after hubmodels._keras chose tf-keras."""
    import hubmodels._keras  # noqa: F401

    return importlib.import_module(f"tensorflow_hub.{name}")


def check_module_dir(folder: Path, handle) -> Path:
    """`folder` if it holds a SavedModel; ModuleFormatError saying what it holds otherwise."""
    if (folder / "saved_model.pb").is_file() or (folder / "saved_model.pbtxt").is_file():
        return folder
    found = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    shown = ", ".join(found[:8]) + (", ..." if len(found) > 8 else "") if found else "nothing"
    raise ModuleFormatError(
        f"{handle} is not a module: expected saved_model.pb (a SavedModel or TF1 Hub "
        f"module) in {folder}, found {shown}"
    )


def _resolve_local(path: Path) -> str:
    if path.is_dir():
        return str(check_module_dir(path, path))
    if path.is_file() and archives.is_archive(path):
        return str(_extract_cached(path))
    if path.exists():
        raise ModuleFormatError(
            f"{path} is a file but not a module archive: expected a folder with "
            f"saved_model.pb or an archive ending in {', '.join(archives.ARCHIVE_SUFFIXES)}"
        )
    raise HandleError(
        f"no module at {str(path)!r}: not an existing folder or archive, nor a URL "
        f"(https://, gs://) or a zoo name ({SCHEME}NAME; see `hubmodels zoo list`)"
    )


def _extract_cached(archive: Path) -> Path:
    """Extracts a local archive once per content version; safe across processes."""
    hub_resolver = _hub_module("resolver")
    stat = archive.stat()
    key = f"{archive.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    target = paths.home() / "archives" / hashlib.sha1(key.encode()).hexdigest()
    target.parent.mkdir(parents=True, exist_ok=True)

    def extract(_handle, tmp_dir):
        archives.extract(archive, Path(tmp_dir))
        check_module_dir(archives.module_root(Path(tmp_dir)), archive)

    # tensorflow_hub's atomic_download: lock file, temporary folder, rename.
    folder = Path(hub_resolver.atomic_download(str(archive), extract, str(target)))
    return check_module_dir(archives.module_root(folder), archive)


def _hub_cache_folder(handle: str) -> Path:
    cache = _hub_module("resolver").tfhub_cache_dir(use_temp=True)
    return Path(cache) / hashlib.sha1(handle.encode("utf8")).hexdigest()


def _resolve_remote(handle: str) -> str:
    registry = _hub_module("registry")
    cached = _hub_cache_folder(handle)
    if handle.startswith("gs://") or (cached.is_dir() and any(cached.iterdir())):
        return registry.resolver(handle)
    host = urllib.parse.urlparse(handle).hostname or ""
    port = 443 if handle.startswith("https://") else 80
    try:
        socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise HandleError(_offline_message(handle, cached, err)) from None
    try:
        return registry.resolver(handle)
    except Exception as err:
        raise HandleError(f"could not download module {handle}: {err}") from err


def _offline_message(handle: str, cached: Path, err: OSError) -> str:
    parsed = urllib.parse.urlparse(handle)
    message = (
        f"cannot download module {handle}: {parsed.hostname} is unreachable ({err}). "
        f"To use it offline, put the extracted module in {cached} (TFHUB_CACHE_DIR "
        f"decides the parent folder), pass a local folder or .tar.gz instead, or use "
        f"an offline zoo module (`hubmodels zoo list`)"
    )
    if parsed.hostname == "tfhub.dev":
        message += f", e.g. {SCHEME}standin{parsed.path.rstrip('/')}"
    return message
