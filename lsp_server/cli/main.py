"""mistral-lsp: a language server for completions and refactors from your Mistral endpoint.

Each subcommand is a thin door onto the same services the server uses, in
`lsp_server.cli.<name>_cmd`, imported only when selected (fast start-up).

Like other Unix tools: results on stdout, diagnostics on stderr, `--json` where a script reads
the output, exit 0 on success, 1 when the work failed, 2 on a usage error (bad arguments, a
missing file, a range outside the file), 130 on Ctrl-C; a reader that closes the pipe early
(`mistral-lsp config | head`) ends the command quietly (exit 141, as if killed by SIGPIPE).
Nothing is ever coloured, so `NO_COLOR` holds trivially.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from lsp_server import SERVER_NAME, __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head`


@dataclass(frozen=True)
class Subcommand:
    help: str
    description: str
    examples: tuple[str, ...]


SERVE = Subcommand(
    help="Speak LSP on stdio (what editors start) or TCP on 127.0.0.1.",
    description=(
        "Run the language server. Editors start it as 'mistral-lsp serve' and talk LSP over\n"
        "stdin/stdout. Logs go to the editor and to a rotating file under the user log\n"
        "directory, never to stdout. --tcp listens on 127.0.0.1 only (for debugging)."
    ),
    examples=("mistral-lsp serve", "mistral-lsp serve --tcp 2087 -vv --log-file /tmp/m.log"),
)

DELEGATED: dict[str, Subcommand] = {
    "index": Subcommand(
        help="Index a repository and print a summary.",
        description=(
            "Index a repository with tree-sitter (gitignore-aware, cached) and print files by\n"
            "language, symbols, skipped files and why, time and cache hits."
        ),
        examples=("mistral-lsp index .", "mistral-lsp index ~/src/app --json | jq .symbols"),
    ),
    "complete": Subcommand(
        help="Print the completion offered at FILE:LINE:COL.",
        description=(
            "Print the completion an editor would be offered at FILE:LINE:COL (from 1), and\n"
            "whether it came from the AI or the repository index. FILE may be '-' to read the\n"
            "text from stdin ('- LINE:COL', name it with --stdin-filename)."
        ),
        examples=(
            "mistral-lsp complete fixtures/demo/shop/cart.py:16:20",
            "mistral-lsp complete - 3:9 --stdin-filename app.py < app.py",
        ),
    ),
    "refactor": Subcommand(
        help="Print (or apply) a refactor of a range as a unified diff.",
        description=(
            "Refactor a range with the chat model and print the change as a unified diff\n"
            "whose paths are relative to the current directory (so 'git apply' or 'patch -p1'\n"
            "works where it is printed), Markdown for --action explain, or write it with\n"
            "--apply. FILE may be '-' to read stdin; --apply then prints the new text."
        ),
        examples=(
            'mistral-lsp refactor shop/cart.py --range 14:16 --instruction "use sum()"',
            "mistral-lsp refactor shop/cart.py --range 14:16 --action docstring | git apply",
            "mistral-lsp refactor - --stdin-filename a.py --range 1:4 --action simplify --apply",
        ),
    ),
    "doctor": Subcommand(
        help="Check the endpoint, key, TLS and policy; non-zero exit on any problem.",
        description=(
            "Check the effective endpoint, the layer it came from, the policy, the key, the TLS\n"
            "handshake and reachability. Exits non-zero when any check fails."
        ),
        examples=("mistral-lsp doctor", "mistral-lsp doctor --live --json"),
    ),
    "config": Subcommand(
        help="Print every setting's effective value and the layer it came from.",
        description=(
            "Print every setting's effective value and the layer it came from (default, user,\n"
            "workspace, editor, policy). The API key itself is never printed."
        ),
        examples=("mistral-lsp config", "mistral-lsp config --json | jq '.\"endpoint.url\"'"),
    ),
    "audit": Subcommand(
        help="Verify the audit trail's hash chain, or report usage and acceptance figures.",
        description=(
            "Verify the audit log's hash chain (exit 1 at the first broken link), or summarise\n"
            "what was sent, refused and accepted."
        ),
        examples=("mistral-lsp audit verify", "mistral-lsp audit report --since 7d --json"),
    ),
}

TOP_EXAMPLES = (
    "mistral-lsp complete fixtures/demo/shop/cart.py:16:20",
    "mistral-lsp config | head",
    "mistral-lsp doctor --live",
)


def _epilog(examples: Sequence[str]) -> str:
    return "examples:\n" + "\n".join(f"  {e}" for e in examples)


def _top_description() -> str:
    return (
        "Completions and refactors from the Mistral endpoint you chose, as a language server\n"
        "and from the shell. Results go to stdout, messages to stderr; exit status 0 on\n"
        "success, 1 when the work failed, 2 on a usage error."
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    from lsp_server.logs import setup_logging
    from lsp_server.server import build_server

    setup_logging(args.verbose, Path(args.log_file) if args.log_file else None)
    server = build_server()
    server.verbosity = args.verbose
    # SIGTERM (a process manager, `kill`) ends the server the way Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if args.tcp is not None:
            server.start_tcp("127.0.0.1", args.tcp)
        else:
            server.start_io()
    except KeyboardInterrupt:
        pass
    # A second Ctrl-C while closing must not print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.tcp is not None:
        return EXIT_OK
    # pygls reads stdin in a worker thread that may still be blocked in read(): a normal
    # interpreter exit then aborts ("Fatal Python error: _enter_buffered_busy"). Run the exit
    # hooks (audit forwarding flush) and leave without finalising the interpreter.
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(EXIT_OK)


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the selected subcommand's module is imported (fast start-up)."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=SERVER_NAME,
        description=_top_description(),
        epilog=_epilog(TOP_EXAMPLES),
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"{SERVER_NAME} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help=SERVE.help,
        description=SERVE.description,
        epilog=_epilog(SERVE.examples),
        formatter_class=raw,
    )
    serve.add_argument("--stdio", action="store_true", help="Use stdio (the default).")
    serve.add_argument("--tcp", type=int, metavar="PORT", help="Listen on 127.0.0.1:PORT.")
    serve.add_argument("-v", "--verbose", action="count", default=0, help="More logging.")
    serve.add_argument("--log-file", help="Log file (default: under the user log directory).")
    serve.set_defaults(run=_serve)
    for name, spec in DELEGATED.items():
        sub_parser = sub.add_parser(
            name,
            help=spec.help,
            description=spec.description,
            epilog=_epilog(spec.examples),
            formatter_class=raw,
        )
        if name != selected:
            continue
        module = importlib.import_module(f"lsp_server.cli.{name}_cmd")
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(run=module.run)
    return parser


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the exit-time flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    if selected is None and not {"-h", "--help", "--version"} & set(argv):
        if _stdin_is_terminal():
            # A person typed the bare command: the stdio server would wait silently for LSP.
            build_parser().print_help(sys.stderr)
            print(
                "\nEditors start the server with 'mistral-lsp serve'; "
                "run it by hand with 'mistral-lsp serve' too.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        argv, selected = ["serve", *argv], "serve"
    try:
        args = build_parser(selected).parse_args(argv)
        if getattr(args, "run", None) is None:
            build_parser().print_usage(sys.stderr)
            return EXIT_USAGE
        code = int(args.run(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(f"{SERVER_NAME}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        # A file the user named cannot be read: say so, without a traceback.
        print(f"{SERVER_NAME} {selected or ''}: {exc}".replace("  ", " "), file=sys.stderr)
        return EXIT_FAILED
