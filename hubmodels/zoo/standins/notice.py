"""The notice every stand-in carries, as a message attached to each of its graphs."""

from hubmodels.hub.tf1_writer import attach_message, read_attached_message

KEY = "standin_notice"


def tfhub_url(path: str) -> str:
    return f"https://tfhub.dev/{path}"


def text(path: str) -> str:
    return f"stand-in: random weights, same interface as {tfhub_url(path)}"


def attach(path: str) -> None:
    """Inside a module_fn: attaches the stand-in notice for the original at tfhub.dev/`path`."""
    attach_message(KEY, text(path))


def read(module_dir, tags=()) -> str | None:
    message = read_attached_message(module_dir, KEY, tags)
    return None if message is None else message.decode()
