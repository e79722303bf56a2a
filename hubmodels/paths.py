"""Where hubmodels keeps its files: `HUBMODELS_HOME`, default the user cache dir."""

import os
from pathlib import Path


def home() -> Path:
    """The root of hubmodels' cache (zoo builds, source wheels, extracted archives)."""
    configured = os.environ.get("HUBMODELS_HOME")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("hubmodels"))
