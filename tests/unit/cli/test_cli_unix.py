"""The command line behaves like a Unix tool: exit codes, stdout vs stderr, pipes, signals, help.

Each test runs the real `mistral-lsp` entry point in a subprocess (the behaviour under test is
the process's: its exit status, its streams, its signals), in an isolated home so that no user
config, key or policy of this machine applies.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_server.cli.main import DELEGATED, EXIT_BROKEN_PIPE, EXIT_USAGE
from tests.paths import ROOT

CART = ROOT / "fixtures" / "demo" / "shop" / "cart.py"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL")}
    clean.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".state"),
        XDG_DATA_HOME=str(home / ".data"),
        XDG_CONFIG_DIRS=str(tmp_path / "site"),
        PYTHONPATH=str(ROOT),
    )
    return clean


def cli(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,  # type: ignore[call-overload]
    )


def test_closed_stdout_ends_quietly(env: dict[str, str]) -> None:
    """`mistral-lsp config | head`: the reader is gone before the first write (control: EPIPE
    is really raised — the same write from a plain Python print gives a traceback)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        for args in (
            ["config"],
            ["config", "--json"],
            ["--help"],
            ["index", str(ROOT / "fixtures" / "demo")],
        ):
            proc = subprocess.run(
                [sys.executable, "-m", "lsp_server", *args],
                env=env,
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
            assert "Traceback" not in proc.stderr, (args, proc.stderr)
            assert "BrokenPipeError" not in proc.stderr, (args, proc.stderr)
            if args != ["--help"]:  # argparse exits from inside print_help
                assert proc.returncode == EXIT_BROKEN_PIPE, (args, proc.returncode, proc.stderr)
        control = subprocess.run(
            [sys.executable, "-c", "print('x' * 100000)"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
        assert "BrokenPipeError" in control.stderr
    finally:
        os.close(write_end)


def test_bare_command_on_a_terminal_prints_help(env: dict[str, str]) -> None:
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "lsp_server"],
            env=env,
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert proc.returncode == EXIT_USAGE
    assert proc.stdout == ""
    assert "usage: mistral-lsp" in proc.stderr and "mistral-lsp serve" in proc.stderr


def _initialize(proc: subprocess.Popen[bytes]) -> None:
    """Speak to the stdio server until it answers: it is then certainly serving."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}},
        }
    ).encode()
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()
    header = proc.stdout.readline()
    assert header.startswith(b"Content-Length"), header


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_on_signals(env: dict[str, str], signum: int, tmp_path: Path) -> None:
    """Two signals in a row (Ctrl-C twice) while the stdin reader thread is blocked in read():
    no traceback, no "Fatal Python error", exit 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lsp_server", "serve", "--log-file", str(tmp_path / "s.log")],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _initialize(proc)
        proc.send_signal(signum)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = err.decode(errors="replace")
    assert "Traceback" not in text, text
    assert "Fatal Python error" not in text, text
    assert proc.returncode == 0, (proc.returncode, text)


@pytest.mark.parametrize("command", ["serve", *DELEGATED])
def test_every_subcommand_has_a_description_and_an_example(
    env: dict[str, str], command: str
) -> None:
    proc = cli(command, "--help", env=env)
    assert proc.returncode == 0, proc.stderr
    description = proc.stdout.split("\n\n")[1]
    assert description.strip() and not description.lstrip().startswith(("positional", "options")), (
        proc.stdout
    )
    assert f"examples:\n  mistral-lsp {command}" in proc.stdout
    assert "`" not in proc.stdout, "literal backticks in --help"


def test_top_level_help_has_no_backticks(env: dict[str, str]) -> None:
    proc = cli("--help", env=env)
    assert proc.returncode == 0
    assert "`" not in proc.stdout
    assert "examples:" in proc.stdout


def test_refactor_range_outside_the_file_is_a_usage_error(env: dict[str, str]) -> None:
    lines = len(CART.read_text().splitlines())
    proc = cli("refactor", str(CART), "--range", "99:100", "--action", "docstring", env=env)
    assert proc.returncode == EXIT_USAGE
    assert proc.stdout == ""
    assert f"outside the file (lines 1-{lines})" in proc.stderr
    # control: the last line itself is inside (the run then fails for want of an endpoint, not
    # for the range)
    inside = cli(
        "refactor", str(CART), "--range", f"{lines}:{lines}", "--action", "docstring", env=env
    )
    assert "outside the file" not in inside.stderr


def test_refactor_without_instruction_is_a_usage_error(env: dict[str, str]) -> None:
    proc = cli("refactor", str(CART), "--range", "1:2", env=env)
    assert proc.returncode == EXIT_USAGE
    assert "--instruction" in proc.stderr


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("cart.py:16", "expected FILE:LINE:COL"),
        ("CART:18:1", "line 18"),
        ("CART:16:21", "column 21"),
    ],
)
def test_complete_rejects_bad_locations(env: dict[str, str], location: str, message: str) -> None:
    proc = cli("complete", location.replace("CART", str(CART)), env=env)
    assert proc.returncode == EXIT_USAGE
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_complete_missing_file(env: dict[str, str]) -> None:
    proc = cli("complete", "no/such/file.py:1:1", env=env)
    assert proc.returncode == EXIT_USAGE
    assert "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_complete_reads_stdin(env: dict[str, str]) -> None:
    """`- LINE:COL` with --stdin-filename answers like the file itself; the result on stdout,
    the offline notice on stderr."""
    from_file = cli("complete", f"{CART}:16:20", "--json", env=env)
    from_stdin = cli(
        "complete",
        "-",
        "16:20",
        "--json",
        "--stdin-filename",
        str(CART),
        env=env,
        input=CART.read_text(),
    )
    assert from_file.returncode == from_stdin.returncode == 0, from_stdin.stderr
    a, b = json.loads(from_file.stdout), json.loads(from_stdin.stdout)
    assert a["text"] == b["text"] and a["text"]
    assert "offline" in from_stdin.stderr


def test_complete_demo_prints_only_the_answer_on_stdout(env: dict[str, str]) -> None:
    proc = cli("complete", f"{CART}:16:20", env=env)
    assert proc.returncode == 0
    assert proc.stdout.startswith("[")
    assert "offline" not in proc.stdout and "offline" in proc.stderr
