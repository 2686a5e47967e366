"""Logging: a rotating file and, when serving, the editor's log — never stdout.

Secret values registered with `register_secret` are masked in every record, whatever
handler writes it: a belt to the endpoint's braces of never formatting the key at all.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs

_SECRETS: set[str] = set()
LOGGER_NAME = "lsp_server"


def register_secret(value: str) -> None:
    if value and len(value) >= 4:
        _SECRETS.add(value)


def mask_secrets(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class SecretMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _SECRETS:
            message = mask_secrets(record.getMessage())
            record.msg, record.args = message, None
            if record.exc_info and record.exc_text is None:
                record.exc_text = mask_secrets(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def default_log_file() -> Path:
    return Path(platformdirs.user_log_dir("mistral-lsp")) / "server.log"


def setup_logging(verbosity: int, log_file: Path | None) -> logging.Logger:
    """Our logger at WARNING, INFO (-v) or DEBUG (-vv): a rotating file, secrets masked."""
    level = logging.WARNING - 10 * min(verbosity, 2)
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    logger.propagate = False
    path = log_file or default_log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    add_handler(logger, handler)
    # pygls reports protocol errors (malformed messages, unknown ids) on its own logger.
    library = logging.getLogger("pygls")
    library.setLevel(logging.WARNING)
    library.addHandler(handler)
    return logger


def add_handler(logger: logging.Logger, handler: logging.Handler) -> None:
    handler.addFilter(SecretMaskingFilter())
    logger.addHandler(handler)
