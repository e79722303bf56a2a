"""The zoo's handle scheme: `hubmodels://NAME` is the zoo module NAME, built on first use.

`install()` registers it with hubmodels.hub.handles (the hub layer never imports the
zoo); `import hubmodels` calls it. Importing this file does not import TensorFlow.
"""

from hubmodels.hub import handles

PREFIX = "hubmodels://"


def _resolve(name: str) -> str:
    from hubmodels.zoo import cache  # cache imports this file for PREFIX

    return str(cache.ensure_built(name))


def _standin_for(url: str) -> str | None:
    """The stand-in with the interface of the tfhub.dev module at `url`, or None."""
    from hubmodels.zoo import registry  # its dataclasses would slow down `import hubmodels`

    wanted = url.partition("?")[0].rstrip("/")
    names = [e.name for e in registry.entries() if e.is_standin and e.standin_of == wanted]
    return PREFIX + names[0] if names else None


def install() -> None:
    """Makes `hubmodels.resolve` (and so tensorflow_hub, see registration.py) take zoo names."""
    handles.register_scheme(
        PREFIX,
        _resolve,
        usage=f"a zoo module ({PREFIX}NAME; see `hubmodels zoo list`)",
        offline_alternative=_standin_for,
    )
