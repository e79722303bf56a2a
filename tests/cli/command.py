"""Runs the `hubmodels` command in a fresh process, as a user does, to see its whole stderr."""

import os
import subprocess
import sys


def run_hubmodels(*args, home, env=None, timeout=600) -> subprocess.CompletedProcess:
    """`python -m hubmodels.cli ARGS` with HOME, HUBMODELS_HOME and the TF Hub cache under
    `home` (a tmp_path) and nothing else of this environment but PATH; env adds variables.
    Text stdout and stderr are captured."""
    variables = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "HUBMODELS_HOME": str(home / "hubmodels_home"),
        "TFHUB_CACHE_DIR": str(home / "tfhub_cache"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "hubmodels.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=variables,
    )
