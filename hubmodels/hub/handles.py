"""Handles: one function turns any handle into a module directory.

Accepted handles:
  - a local directory holding saved_model.pb, or `file://` + that path;
  - a local `.tar`/`.tar.gz`/`.tgz` archive (extracted once, safely, into
    `HUBMODELS_HOME/archives/`);
  - a handle of a scheme added with `register_scheme` (the zoo adds
    `hubmodels://NAME` when hubmodels is imported; this file never imports the zoo);
  - http(s) URLs (tfhub.dev, Kaggle, any .tar.gz) and gs:// paths, through
    tensorflow_hub's own resolvers and its cache `TFHUB_CACHE_DIR`. A gs:// folder, or
    any URL under TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED, resolves to a remote path that
    is read in place through tf.io.gfile.

TensorFlow is imported only by the functions that need it.
"""

import hashlib
import importlib
import os
import posixpath
import re
import socket
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from hubmodels import paths
from hubmodels.errors import HandleError, ModuleFormatError
from hubmodels.hub import archives

_BUILT_IN = ("file://", "http://", "https://", "gs://")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)")
_CONNECT_TIMEOUT_S = 3.0
_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


class Scheme(NamedTuple):
    """A handle prefix that a plug-in serves.

    resolve: the rest of the handle (after `prefix`) -> a module directory.
    usage: how a user writes such a handle, for error messages.
    offline_alternative: a URL that cannot be downloaded -> a handle of this scheme that
      works offline instead, or None.
    """

    prefix: str
    resolve: Callable[[str], str]
    usage: str
    offline_alternative: Callable[[str], str | None] | None = None


_SCHEMES: dict = {}


def register_scheme(prefix: str, resolve, usage: str, offline_alternative=None) -> None:
    """Makes `resolve()` send handles starting with `prefix` (e.g. "name://") to `resolve`.

    Registering a prefix again replaces its earlier registration.
    """
    if not _SCHEME.fullmatch(prefix) or prefix in _BUILT_IN:
        raise HandleError(
            f"cannot register the scheme {prefix!r}: expected 'name://' other than "
            f"{', '.join(_BUILT_IN)}"
        )
    _SCHEMES[prefix] = Scheme(prefix, resolve, usage, offline_alternative)


def registered_scheme(handle) -> Scheme | None:
    """The registered Scheme that serves `handle`, or None."""
    found = _SCHEME.match(handle) if isinstance(handle, str) else None
    return _SCHEMES.get(found.group(1)) if found else None


def resolve(handle) -> str:
    """Returns the directory of the module named by `handle` (remote paths stay remote).

    Raises HandleError (unknown or unreachable handle) or ModuleFormatError
    (a folder or archive that is not a module), each naming the handle.
    """
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if not isinstance(handle, str) or not handle:
        raise HandleError(f"a module handle must be a non-empty string, got {handle!r}")
    scheme = registered_scheme(handle)
    if scheme is not None:
        return scheme.resolve(handle[len(scheme.prefix) :])
    if handle.startswith("file://"):
        handle = urllib.parse.unquote(urllib.parse.urlparse(handle).path)
    if handle.startswith(("http://", "https://", "gs://")):
        return _resolve_remote(handle)
    unknown = _SCHEME.match(handle)
    if unknown:
        raise HandleError(
            f"unknown scheme {unknown.group(1)!r} in handle {handle!r}: "
            f"expected a folder, an archive, {_accepted()}"
        )
    return _resolve_local(Path(handle).expanduser())


def _accepted() -> str:
    """The URL-like handles accepted, for error messages."""
    usages = [s.usage for s in _SCHEMES.values()]
    return ", ".join(["a URL (file://, http(s)://, gs://)", *usages])


def _hub_module(name):
    """A tensorflow_hub submodule, imported after hubmodels._keras chose tf-keras."""
    import hubmodels._keras  # noqa: F401

    return importlib.import_module(f"tensorflow_hub.{name}")


def check_module_dir(folder, handle) -> str:
    """`folder` (local or remote: gs://, ram://) if it holds a SavedModel; an error otherwise."""
    from hubmodels._keras import tf

    folder = os.fspath(folder)
    try:
        names = [name.rstrip("/") for name in tf.io.gfile.listdir(folder)]
    except tf.errors.OpError as err:
        raise HandleError(f"{handle} resolved to {folder}, which cannot be listed: {err}") from None
    found = sorted(
        name + "/" if tf.io.gfile.isdir(posixpath.join(folder, name)) else name for name in names
    )
    if any(name in found for name in _SAVED_MODEL_FILES):
        return folder
    shown = ", ".join(found[:8]) + (", ..." if len(found) > 8 else "") if found else "nothing"
    raise ModuleFormatError(
        f"{handle} is not a module: expected saved_model.pb (a SavedModel or TF1 Hub "
        f"module) in {folder}, found {shown}"
    )


def _resolve_local(path: Path) -> str:
    if path.is_dir():
        return check_module_dir(path, path)
    if path.is_file() and archives.is_archive(path):
        return str(_extract_cached(path))
    if path.exists():
        raise ModuleFormatError(
            f"{path} is a file but not a module archive: expected a folder with "
            f"saved_model.pb or an archive ending in {', '.join(archives.ARCHIVE_SUFFIXES)}"
        )
    raise HandleError(
        f"no module at {str(path)!r}: not an existing folder or archive, nor {_accepted()}"
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
    return Path(check_module_dir(archives.module_root(folder), archive))


def _hub_cache_folder(handle: str) -> str | None:
    """Where tensorflow_hub caches a download of `handle`; None when it reads in place."""
    resolver = _hub_module("resolver")
    if resolver.model_load_format() == resolver.ModelLoadFormat.UNCOMPRESSED.value:
        return None
    cache = resolver.tfhub_cache_dir(use_temp=True)
    return posixpath.join(cache, hashlib.sha1(handle.encode("utf8")).hexdigest())


def _is_filled_folder(folder: str | None) -> bool:
    from hubmodels._keras import tf

    return folder is not None and tf.io.gfile.isdir(folder) and bool(tf.io.gfile.listdir(folder))


def _resolve_remote(handle: str) -> str:
    registry = _hub_module("registry")
    cached = _hub_cache_folder(handle)
    if not handle.startswith("gs://") and not _is_filled_folder(cached):
        _probe(handle, cached)
    try:
        folder = registry.resolver(handle)
    except Exception as err:
        raise HandleError(f"could not download module {handle}: {err}") from err
    return check_module_dir(folder, handle)


def _first_hop(url: str) -> tuple:
    """(host, port, proxy or None): where urllib connects first to fetch `url`.

    Follows urllib's own rules, as tensorflow_hub downloads through urllib:
    http_proxy/https_proxy (or upper case) unless no_proxy lists the host.
    """
    import urllib.request  # not at import time: it loads http.client and email

    parsed = urllib.parse.urlparse(url)
    proxy = urllib.request.getproxies().get(parsed.scheme)
    if proxy and not urllib.request.proxy_bypass(parsed.netloc.rpartition("@")[2]):
        via = urllib.parse.urlparse(proxy if "://" in proxy else "http://" + proxy)
        try:
            port = via.port or (443 if via.scheme == "https" else 80)
        except ValueError:
            raise HandleError(f"the {parsed.scheme} proxy setting has an invalid port") from None
        # Named without its user and password, if it has them.
        return via.hostname or "", port, f"{via.scheme}://{via.hostname}:{port}"
    default_port = 443 if parsed.scheme == "https" else 80
    try:
        return parsed.hostname or "", parsed.port or default_port, None
    except ValueError:
        raise HandleError(f"{url} has an invalid port") from None


def _probe(handle: str, cached: str | None) -> None:
    """HandleError with a way out, within seconds, when `handle`'s server (or proxy) is down."""
    host, port, proxy = _first_hop(handle)
    try:
        socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise HandleError(_offline_message(handle, cached, proxy, err)) from None


def _offline_message(handle: str, cached: str | None, proxy: str | None, err: OSError) -> str:
    through = f" through the proxy {proxy}" if proxy else ""
    ways = ["pass a local folder or .tar.gz instead"]
    if cached:
        ways.insert(0, f"put the extracted module in {cached} (TFHUB_CACHE_DIR decides its parent)")
    for scheme in _SCHEMES.values():
        alternative = scheme.offline_alternative and scheme.offline_alternative(handle)
        ways.append(f"use {alternative or scheme.usage}")
    return (
        f"cannot download module {handle}: {urllib.parse.urlparse(handle).hostname} is "
        f"unreachable{through} ({err}). To use it offline, {', or '.join(ways)}"
    )
