"""Runs one function in several fresh processes at once (spawned, so nothing is inherited)."""

import multiprocessing


def _put_result(function, args, queue):
    queue.put(function(*args))


def run_at_once(function, args, count=2, timeout=180) -> list:
    """Starts `count` processes calling function(*args); returns their results.

    `function` must be importable (module level). Fails if a process does not exit 0.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    children = [
        context.Process(target=_put_result, args=(function, args, queue)) for _ in range(count)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout)
        assert child.exitcode == 0, f"a child process exited with {child.exitcode}"
    return [queue.get(timeout=5) for _ in children]
