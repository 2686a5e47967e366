"""The API key: where it comes from, and a wrapper that never shows it.

`repr()`, `str()` and f-strings of an ApiKey print a mask, so a stray log line or an
exception message cannot leak it; only `reveal()` returns the value, at the HTTP boundary.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ApiKey:
    """An API key that hides itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "ApiKey(****)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("ApiKey cannot be pickled")


@dataclass(frozen=True)
class KeyLookup:
    """Result of looking for the key: the key (or None), where it came from, what went wrong."""

    key: ApiKey | None
    source: str
    problem: str = ""


def load_api_key(
    api_key_env: str, api_key_file: str, env: dict[str, str] | None = None
) -> KeyLookup:
    """Read the key from the named environment variable, or from `endpoint.api_key_file`
    when the variable is unset (the order the settings document)."""
    environ = os.environ if env is None else env
    name = api_key_env or "MISTRAL_API_KEY"
    value = environ.get(name, "").strip()
    if value:
        return _checked(value, f"environment variable {name}")
    if api_key_file:
        path = Path(os.path.expanduser(api_key_file))
        try:
            # The first non-empty line is the key (files often end with a newline, and
            # secret managers add a comment or a second field below it).
            lines = path.read_text(encoding="utf-8").splitlines()
            value = next((line.strip() for line in lines if line.strip()), "")
        except UnicodeDecodeError:
            return KeyLookup(None, f"file {path}", f"the key file {path} is not UTF-8 text")
        except OSError as exc:
            return KeyLookup(
                None,
                f"file {path}",
                f"cannot read the key file {path} ({exc.strerror or 'unreadable'}); "
                "fix endpoint.api_key_file",
            )
        if not value:
            return KeyLookup(None, f"file {path}", f"the key file {path} is empty")
        return _checked(value, f"file {path}")
    return KeyLookup(
        None,
        f"environment variable {name}",
        f"no API key: set the environment variable {name} or endpoint.api_key_file",
    )


def key_presence(api_key_env: str, api_key_file: str) -> dict[str, Any]:
    """Whether a usable key is set and where from — never the key itself."""
    found = load_api_key(api_key_env, api_key_file)
    return {"set": found.key is not None, "from": found.source if found.key else None}


def _checked(value: str, source: str) -> KeyLookup:
    """A key must fit in an HTTP header: printable ASCII without spaces."""
    if all(33 <= ord(c) < 127 for c in value):
        return KeyLookup(ApiKey(value), source)
    return KeyLookup(
        None,
        source,
        f"the API key from {source} contains spaces, control or non-ASCII characters; "
        "it must be the key alone on one line",
    )
