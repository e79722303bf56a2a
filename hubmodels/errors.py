"""Exceptions of hubmodels: each message names the thing and what was expected."""


class HubModelsError(Exception):
    """Base class of every error that hubmodels raises on purpose."""


class HandleError(HubModelsError, ValueError):
    """A handle cannot be resolved to a module directory."""


class ModuleFormatError(HubModelsError, ValueError):
    """A directory or archive is not a module of a known format."""


class SignatureError(HubModelsError, KeyError):
    """A signature or output that the module does not have."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class InputError(HubModelsError, ValueError):
    """Inputs that do not match a signature's input info."""


class ZooError(HubModelsError, RuntimeError):
    """A zoo module that cannot be built (unknown name, missing source)."""
