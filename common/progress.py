"""Progress reporting for long imports, kept out of the services' logic.

A service takes a ``progress`` factory and calls it as ``progress(total=..., desc=..., unit=...)``;
the object it gets back has ``update(n)`` and ``close()``. Commands pass a tqdm bar on their
stderr; tests and callers that want silence use the default, ``no_progress``.
"""

from collections.abc import Callable
from typing import Any, Protocol, TextIO

from tqdm import tqdm


class Progress(Protocol):
    def update(self, n: int = 1) -> Any: ...

    def close(self) -> None: ...


ProgressFactory = Callable[..., Progress]


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(**_: Any) -> Progress:
    return _Silent()


def terminal_progress(stream: TextIO, *, enabled: bool = True) -> ProgressFactory:
    """A factory of tqdm bars writing to ``stream`` (a command's ``self.stderr._out``)."""

    def factory(**options: Any) -> Progress:
        if not enabled:
            return _Silent()
        return tqdm(file=stream, dynamic_ncols=True, mininterval=0.5, **options)

    return factory
