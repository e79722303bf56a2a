"""Handles: folders, file://, archives (cached, concurrent), URLs, proxies, remote folders,
registered schemes.

Hermetic: every download goes to a server of the test on 127.0.0.1, and name lookups of
any other host fail, as on a machine without network.
"""

import ast
import contextlib
import hashlib
import http.server
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

import hubmodels
from hubmodels import resolve
from hubmodels._keras import tf
from hubmodels.errors import HandleError, ModuleFormatError
from hubmodels.hub import handles
from tests.processes import run_at_once

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))
    monkeypatch.delenv("TFHUB_MODEL_LOAD_FORMAT", raising=False)
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Looking up any name but the loopback's fails, whether the machine has network or not."""
    lookup = socket.getaddrinfo

    def loopback_lookup(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: no name lookups in these tests")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_lookup)


@pytest.fixture
def refused_port():
    """A port of 127.0.0.1 that refuses connections (bound, never listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextlib.contextmanager
def _http_server(body: bytes):
    """Yields ("127.0.0.1:PORT", paths asked): a server answering every GET with `body`.

    Asked as a proxy, it receives (and records) the full URL instead of the path.
    """
    asked = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def archive_bytes(real_fixtures):
    return (real_fixtures / "half_plus_two_v1.tar.gz").read_bytes()


def test_folder_and_file_url(real_fixtures):
    folder = real_fixtures / "saved_model_half_plus_two_cpu" / "00000123"
    assert resolve(str(folder)) == str(folder)
    assert resolve(folder) == str(folder)
    assert resolve("file://" + str(folder)) == str(folder)


def test_archive_is_extracted_once_into_the_cache(real_fixtures, tmp_path):
    archive = real_fixtures / "half_plus_two_v1.tar.gz"
    first = resolve(str(archive))
    assert first.startswith(str(tmp_path / "home" / "archives"))
    assert sorted(p.name for p in Path(first).iterdir()) == [
        "assets",
        "saved_model.pb",
        "tfhub_module.pb",
        "variables",
    ]
    mtime = (Path(first) / "saved_model.pb").stat().st_mtime_ns
    assert resolve(str(archive)) == first
    assert (Path(first) / "saved_model.pb").stat().st_mtime_ns == mtime


def _resolve_in_child(handle, home):
    import os

    os.environ["HUBMODELS_HOME"] = home
    from hubmodels import resolve as child_resolve

    return child_resolve(handle)


def test_two_processes_resolving_one_archive_both_succeed(real_fixtures, tmp_path):
    archive = tmp_path / "copy.tar.gz"
    shutil.copy(real_fixtures / "half_plus_two_v1.tar.gz", archive)
    paths = run_at_once(_resolve_in_child, (str(archive), str(tmp_path / "home")))
    assert len(set(paths)) == 1
    archives_dir = tmp_path / "home" / "archives"
    leftovers = [p.name for p in archives_dir.iterdir()]
    assert len([p for p in leftovers if not p.endswith(".descriptor.txt")]) == 1, leftovers


def test_folder_that_is_not_a_module_says_what_it_found(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "data").mkdir()
    with pytest.raises(
        ModuleFormatError, match=r"expected saved_model.pb .* found data/, notes.txt"
    ):
        resolve(str(tmp_path))


def test_archive_without_a_module(tmp_path):
    import tarfile

    (tmp_path / "readme.txt").write_text("no model here")
    with tarfile.open(tmp_path / "empty.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "readme.txt", arcname="readme.txt")
    with pytest.raises(ModuleFormatError, match="found readme.txt"):
        resolve(str(tmp_path / "empty.tar.gz"))


def test_corrupt_archive(tmp_path):
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(ModuleFormatError, match="broken.tar.gz is not a readable module archive"):
        resolve(str(tmp_path / "broken.tar.gz"))
    assert not any((tmp_path / "home" / "archives").glob("*/saved_model.pb"))


def test_missing_path_and_non_module_file(tmp_path):
    with pytest.raises(HandleError, match="no module at"):
        resolve(str(tmp_path / "missing"))
    (tmp_path / "weights.bin").write_bytes(b"1234")
    with pytest.raises(ModuleFormatError, match="is a file but not a module archive"):
        resolve(str(tmp_path / "weights.bin"))
    with pytest.raises(HandleError, match="non-empty string"):
        resolve("")


def test_http_archive_downloads_through_tensorflow_hubs_resolver(archive_bytes, tmp_path):
    with _http_server(archive_bytes) as (address, asked):
        handle = f"http://{address}/half_plus_two.tar.gz"
        folder = resolve(handle)
        assert resolve(handle) == folder  # the second time from tensorflow_hub's cache
    assert asked == ["/half_plus_two.tar.gz?tf-hub-format=compressed"]
    assert folder.startswith(str(tmp_path / "tfhub"))
    assert (Path(folder) / "tfhub_module.pb").is_file()


@pytest.mark.parametrize("setting", ["http://{}", "{}"])
def test_download_goes_through_the_proxy(archive_bytes, monkeypatch, setting):
    with _http_server(archive_bytes) as (proxy, asked):
        monkeypatch.setenv("http_proxy", setting.format(proxy))
        folder = resolve("http://modules.example/half_plus_two.tar.gz")
    assert asked == ["http://modules.example/half_plus_two.tar.gz?tf-hub-format=compressed"]
    assert (Path(folder) / "saved_model.pb").is_file()


def test_no_proxy_hosts_are_reached_directly(archive_bytes, refused_port, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{refused_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with _http_server(archive_bytes) as (address, asked):
        folder = resolve(f"http://{address}/half_plus_two.tar.gz")
    assert len(asked) == 1 and (Path(folder) / "saved_model.pb").is_file()


def test_unreachable_proxy_fails_fast_and_offers_a_stand_in(refused_port, monkeypatch):
    proxy = f"http://127.0.0.1:{refused_port}"
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:secret@127.0.0.1:{refused_port}")
    start = time.perf_counter()
    with pytest.raises(HandleError) as caught:
        resolve("https://tfhub.dev/google/imagenet/inception_v3/classification/1")
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert f"tfhub.dev is unreachable through the proxy {proxy} (" in message
    assert "secret" not in message
    assert "TFHUB_CACHE_DIR" in message
    assert "use hubmodels://standin/google/imagenet/inception_v3/classification/1" in message


def test_unreachable_host_says_how_to_work_offline(refused_port):
    with pytest.raises(HandleError) as caught:
        resolve(f"http://127.0.0.1:{refused_port}/module.tar.gz")
    message = str(caught.value)
    assert "127.0.0.1 is unreachable (" in message and "TFHUB_CACHE_DIR" in message
    assert "use a zoo module (hubmodels://NAME; see `hubmodels zoo list`)" in message


def test_cached_url_resolves_offline(real_fixtures, tmp_path):
    handle = "https://tfhub.dev/google/half_plus_two/1"
    cached = tmp_path / "tfhub" / hashlib.sha1(handle.encode()).hexdigest()
    cached.parent.mkdir(parents=True)
    shutil.copytree(real_fixtures / "saved_model_half_plus_two_cpu" / "00000123", cached)
    assert resolve(handle) == str(cached)


def _copy_to(folder: Path, remote: str) -> str:
    for path in folder.rglob("*"):
        if path.is_file():
            target = f"{remote}/{path.relative_to(folder).as_posix()}"
            tf.io.gfile.makedirs(target.rsplit("/", 1)[0])
            tf.io.gfile.copy(str(path), target, overwrite=True)
    return remote


@pytest.fixture
def remote_hub(real_fixtures, monkeypatch, request):
    """tensorflow_hub's resolver answering with folders on TensorFlow's ram:// filesystem, as
    it answers gs:// folders and URLs under TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED."""
    import tensorflow_hub.registry

    root = f"ram://{request.node.name}"
    module = _copy_to(real_fixtures / "saved_model_half_plus_two_cpu" / "00000123", root + "/m")
    tf.io.gfile.makedirs(root + "/empty/variables")
    with tf.io.gfile.GFile(root + "/empty/notes.txt", "w") as file:
        file.write("no model here")
    answers = {"module": module, "empty": root + "/empty"}
    asked = []

    def resolver(handle):
        asked.append(handle)
        return answers[handle.rstrip("/").rsplit("/", 1)[-1]]

    monkeypatch.setattr(tensorflow_hub.registry, "resolver", resolver)
    return answers, asked


def test_gs_folder_is_read_in_place(remote_hub):
    answers, asked = remote_hub
    assert resolve("gs://bucket/module") == answers["module"]
    assert asked == ["gs://bucket/module"]
    with pytest.raises(ModuleFormatError, match="found notes.txt, variables/") as caught:
        resolve("gs://bucket/empty")
    assert "gs://bucket/empty is not a module" in str(caught.value)


def test_uncompressed_url_is_read_in_place(remote_hub, monkeypatch):
    answers, asked = remote_hub
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    with _http_server(b"") as (address, _):
        assert resolve(f"http://{address}/module") == answers["module"]
        with pytest.raises(ModuleFormatError, match="found notes.txt, variables/"):
            resolve(f"http://{address}/empty")
    assert asked == [f"http://{address}/module", f"http://{address}/empty"]


def test_unknown_scheme_is_named(tmp_path):
    with pytest.raises(HandleError, match=r"unknown scheme 's3://' in handle 's3://bucket/m'.*"):
        resolve("s3://bucket/m")


def test_registered_scheme_serves_its_handles(real_fixtures, monkeypatch):
    folder = str(real_fixtures / "saved_model_half_plus_two_cpu" / "00000123")
    monkeypatch.setattr(handles, "_SCHEMES", dict(handles._SCHEMES))
    handles.register_scheme("test://", {"half": folder}.__getitem__, usage="a test://NAME")
    assert resolve("test://half") == folder
    with pytest.raises(HandleError, match=r"unknown scheme 's3://'.*a test://NAME"):
        resolve("s3://bucket/m")
    for prefix in ("https://", "test:", "no scheme"):
        with pytest.raises(HandleError, match="cannot register the scheme"):
            handles.register_scheme(prefix, str, usage="")


def test_the_hub_layer_never_imports_the_zoo():
    hub_folder = Path(hubmodels.__file__).parent / "hub"
    offenders = []
    for path in sorted(hub_folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                package = "hubmodels.hub".rsplit(".", node.level - 1)[0] if node.level else ""
                module = ".".join(filter(None, [package, node.module]))
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.startswith("hubmodels.zoo") else []
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("hubmodels.zoo")]
    assert offenders == []
