"""Job functions for tests of the queue itself (importable by an RQ worker)."""


def explode(cause: str) -> None:
    raise RuntimeError(cause)
