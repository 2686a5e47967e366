"""The editor recipes in editors/README.md, checked where this machine allows.

Emacs: the README's eglot form runs verbatim in `emacs --batch` (Debian's emacs-nox and
elpa-eglot) against the real server (`mistral-lsp` on PATH) and the fake endpoint; eglot must
connect and a completion at the cursor must return the endpoint's text. Helix and Zed cannot be
installed here: their snippets are parsed and checked for the command they start.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from fixtures.fake_mistral import FakeMistral
from tests.lsp_harness import isolated_env, user_config_file
from tests.paths import ROOT

README = ROOT / "editors" / "README.md"
EMACS = shutil.which("emacs")


def fenced(section: str, language: str) -> list[str]:
    """The ```language blocks under the `## section` heading of editors/README.md."""
    text = README.read_text()
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"no '## {section}' section in {README}"
    return re.findall(rf"```{language}\n(.*?)```", match.group(1), re.S)


def test_helix_recipe_starts_mistral_lsp_serve() -> None:
    (block,) = fenced("Helix", "toml")
    config = tomllib.loads(block)
    server = config["language-server"]["mistral-lsp"]
    assert [server["command"], *server["args"]] == ["mistral-lsp", "serve"]
    assert isinstance(server["config"], dict)
    for language in config["language"]:
        assert "mistral-lsp" in language["language-servers"], language["name"]


def test_zed_recipe_is_consistent() -> None:
    tomls = fenced("Zed", "toml")
    extension = tomllib.loads(tomls[0])
    cargo = tomllib.loads(tomls[1])
    assert "mistral-lsp" in extension["language_servers"]
    assert cargo["lib"]["crate-type"] == ["cdylib"]
    (rust,) = fenced("Zed", "rust")
    assert 'which("mistral-lsp")' in rust and '"serve"' in rust
    (settings,) = fenced("Zed", "json")
    parsed = json.loads(settings)
    assert "mistral-lsp" in parsed["languages"]["Python"]["language_servers"]
    assert "initialization_options" in parsed["lsp"]["mistral-lsp"]


CHECK_EL = r"""
(require 'eglot)
(require 'json)
(setq eglot-sync-connect 60)
(find-file (getenv "MISTRAL_TEST_FILE"))
(python-mode)
(defun mistral-test-dump-stderr ()
  "Show why the server died: eglot keeps its stderr in a buffer."
  (dolist (buffer (buffer-list))
    (when (string-match-p "stderr\\|EGLOT" (buffer-name buffer))
      (princ (format "--- %s\n" (buffer-name buffer)))
      (with-current-buffer buffer (princ (buffer-string))))))
(condition-case err
    (apply #'eglot (eglot--guess-contact))
  (error (mistral-test-dump-stderr) (signal (car err) (cdr err))))
(unless (eglot-current-server)
  (mistral-test-dump-stderr)
  (error "eglot did not connect"))
(let* ((server (eglot-current-server))
       (caps (eglot--capabilities server)))
  (goto-char (point-min))
  (forward-line 1)
  (end-of-line)
  (let* ((capf (eglot-completion-at-point))
         (table (nth 2 capf))
         (prefix (buffer-substring-no-properties (nth 0 capf) (nth 1 capf)))
         (candidates (all-completions prefix table)))
    (princ (concat "RESULT:"
                   (json-encode
                    (list (cons 'command (process-command (jsonrpc--process server)))
                          (cons 'completionProvider (and (plist-get caps :completionProvider) t))
                          (cons 'codeActionProvider (and (plist-get caps :codeActionProvider) t))
                          (cons 'candidates (vconcat candidates))))
                   "\n"))
    (eglot-shutdown server)))
"""


def eglot_available() -> bool:
    if EMACS is None:
        return False
    probe = subprocess.run(
        [EMACS, "--batch", "-q", "--eval", "(require 'eglot)"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not eglot_available(),
    reason="emacs with eglot is not installed (apt-get install emacs-nox elpa-eglot)",
)
def test_emacs_eglot_recipe_completes_from_the_endpoint(tmp_path: Path) -> None:
    (form,) = fenced("Emacs (eglot)", "elisp")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    source = workspace / "calc.py"
    source.write_text("def add(a, b):\n    \n")
    script = tmp_path / "check.el"
    script.write_text(form + CHECK_EL)

    with FakeMistral() as fake:
        fake.default_fim = "return a + b"
        env = isolated_env(tmp_path)
        # The recipe carries no endpoint: it comes from the user's config.toml, as documented.
        user_config_file(env).write_text(
            f'[endpoint]\npreset = "custom"\nurl = "{fake.url}"\n[completion]\ndebounce_ms = 0\n'
        )
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        env["MISTRAL_TEST_FILE"] = str(source)
        result = subprocess.run(
            [EMACS, "--batch", "-q", "-l", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT:"))
        report = json.loads(line.removeprefix("RESULT:"))
        fim_requests = fake.requests_for("fim")

    assert report["command"][-1] == "serve"
    assert Path(report["command"][0]).name == "mistral-lsp"
    assert report["completionProvider"] is True
    assert report["codeActionProvider"] is True
    assert any("return a + b" in c for c in report["candidates"]), report
    assert fim_requests, "the completion did not reach the endpoint"
