"""What a feature is: a class whose state is declared in `__init__` and whose LSP handlers
are methods marked `@handler(method)` or `@command(name)`; `Feature.register` hands them to
pygls. Handlers take only their params: the server is `self.server`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "_mistral_lsp"


def handler(method: str, options: object = None) -> Callable[[F], F]:
    """Mark a method as the handler of an LSP request or notification."""

    def mark(f: F) -> F:
        setattr(f, _MARK, ("feature", method, options))
        return f

    return mark


def command(name: str) -> Callable[[F], F]:
    """Mark a method as the handler of a `workspace/executeCommand` command."""

    def mark(f: F) -> F:
        setattr(f, _MARK, ("command", name, None))
        return f

    return mark


class Feature:
    """Base of every feature; subclasses declare their state in `__init__`."""

    def __init__(self, server: MistralLanguageServer) -> None:
        self.server = server
        self.session = server.session

    def register(self) -> None:
        for name, member in inspect.getmembers(type(self), inspect.isfunction):
            mark = getattr(member, _MARK, None)
            if mark is None:
                continue
            kind, method, options = mark
            # pygls sets attributes on what it registers, which a bound method refuses.
            bound = functools.partial(getattr(self, name))
            if kind == "feature":
                self.server.feature(method, options)(bound)
            else:
                self.server.command(method)(bound)
