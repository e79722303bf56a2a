"""Safe extraction of module archives (.tar, .tar.gz, .tgz).

No member may land outside the target: absolute names, `..`, symbolic and hard
links, devices and FIFOs are refused. A bound on the total uncompressed size
and on the member count stops decompression bombs. Callers extract into a
temporary folder and rename it into place (see handles.py).
"""

import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath

from hubmodels.errors import ModuleFormatError

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
MAX_BYTES = int(os.environ.get("HUBMODELS_MAX_ARCHIVE_BYTES", 32 << 30))
MAX_MEMBERS = 100_000


def is_archive(path) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def _member_target(archive, member: tarfile.TarInfo, dest: Path) -> Path:
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        raise ModuleFormatError(
            f"archive {archive} has a member outside its folder: {member.name!r}"
        )
    if not (member.isfile() or member.isdir()):
        kind = "link" if (member.issym() or member.islnk()) else "special file"
        raise ModuleFormatError(
            f"archive {archive} has a {kind} {member.name!r}; a module archive holds "
            "only regular files and folders"
        )
    target = (dest / Path(*name.parts)).resolve() if name.parts else dest.resolve()
    if target != dest.resolve() and dest.resolve() not in target.parents:
        raise ModuleFormatError(f"archive {archive} member {member.name!r} escapes the target")
    return target


def extract(archive, dest, max_bytes: int = MAX_BYTES) -> None:
    """Extracts `archive` into the existing folder `dest`, checking every member.

    Raises ModuleFormatError for a corrupt archive, an unsafe member, or more
    than `max_bytes` of content.
    """
    dest = Path(dest)
    total = 0
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise ModuleFormatError(f"archive {archive} has over {MAX_MEMBERS} members")
                target = _member_target(archive, member, dest)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                total += member.size
                if total > max_bytes:
                    raise ModuleFormatError(
                        f"archive {archive} unpacks to more than {max_bytes} bytes "
                        "(set HUBMODELS_MAX_ARCHIVE_BYTES to allow more)"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except (tarfile.TarError, EOFError, OSError) as err:
        if isinstance(err, FileNotFoundError) and not Path(archive).exists():
            raise ModuleFormatError(f"archive {archive} does not exist") from None
        raise ModuleFormatError(
            f"{archive} is not a readable module archive (.tar, .tar.gz): {err}"
        ) from None


def module_root(folder: Path) -> Path:
    """The folder holding saved_model.pb: `folder` itself or its only subfolder."""
    if (folder / "saved_model.pb").exists() or (folder / "saved_model.pbtxt").exists():
        return folder
    children = [p for p in folder.iterdir()]
    if len(children) == 1 and children[0].is_dir():
        return module_root(children[0])
    return folder
