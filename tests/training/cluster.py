"""A MultiWorkerMirroredStrategy cluster of local processes on 127.0.0.1, ports chosen free."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_ports(count) -> list:
    """`count` ports free on 127.0.0.1 now (bound to port 0, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start_workers(argv, ports, log_dir, env=None) -> list:
    """Starts `python ARGV` once per port, as workers 0, 1, ... of one TF_CONFIG cluster.

    Each worker's stdout and stderr go to log_dir/worker-I.log (appended). Returns the Popens.
    """
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    workers = []
    for index in range(len(ports)):
        config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        variables = {
            **os.environ,
            "TF_CONFIG": json.dumps(config),
            "PYTHONPATH": str(ROOT),
            "CUDA_VISIBLE_DEVICES": "",
            **(env or {}),
        }
        log = open(Path(log_dir) / f"worker-{index}.log", "a")  # noqa: SIM115 (Popen keeps it)
        workers.append(
            subprocess.Popen(
                [sys.executable, *argv],
                cwd=ROOT,
                env=variables,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
    return workers


def wait_all(workers, timeout) -> list:
    """The exit codes of `workers`; any still running after `timeout` s in all is killed
    (its code is then negative)."""
    deadline = time.monotonic() + timeout
    codes = []
    for worker in workers:
        try:
            codes.append(worker.wait(timeout=max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            worker.kill()
            codes.append(worker.wait())
    return codes


def logs(log_dir) -> str:
    return "\n".join(
        f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
        for path in sorted(Path(log_dir).glob("worker-*.log"))
    )
