"""`mistral-lsp serve | index | complete | refactor | doctor | config`.

Each subcommand is a thin door onto the same services the server uses, in
`lsp_server.cli.<name>_cmd`, imported only when selected (fast start-up).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from lsp_server import SERVER_NAME, __version__

DELEGATED = {
    "index": "Index a repository and print a summary.",
    "complete": "Print the completion offered at FILE:LINE:COL.",
    "refactor": "Print (or apply) a refactor of a range as a unified diff.",
    "doctor": "Check the endpoint, key, TLS and policy; non-zero exit on any problem.",
    "config": "Print every setting's effective value and the layer it came from.",
    "audit": "Verify the audit trail's hash chain, or report usage and acceptance figures.",
}


def _serve(args: argparse.Namespace) -> int:
    from lsp_server.logs import setup_logging
    from lsp_server.server import build_server

    setup_logging(args.verbose, Path(args.log_file) if args.log_file else None)
    server = build_server()
    server.verbosity = args.verbose
    if args.tcp is not None:
        server.start_tcp("127.0.0.1", args.tcp)
    else:
        server.start_io()
    return 0


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the selected subcommand's module is imported (fast start-up)."""
    parser = argparse.ArgumentParser(prog=SERVER_NAME, description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"{SERVER_NAME} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="Speak LSP on stdio (default) or TCP on 127.0.0.1.")
    serve.add_argument("--stdio", action="store_true", help="Use stdio (the default).")
    serve.add_argument("--tcp", type=int, metavar="PORT", help="Listen on 127.0.0.1:PORT.")
    serve.add_argument("-v", "--verbose", action="count", default=0, help="More logging.")
    serve.add_argument("--log-file", help="Log file (default: under the user log directory).")
    serve.set_defaults(run=_serve)
    for name, help_text in DELEGATED.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name != selected:
            continue
        module = importlib.import_module(f"lsp_server.cli.{name}_cmd")
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    if selected is None and not {"-h", "--help", "--version"} & set(argv):
        argv, selected = ["serve", *argv], "serve"
    args = build_parser(selected).parse_args(argv)
    return int(args.run(args) or 0)
