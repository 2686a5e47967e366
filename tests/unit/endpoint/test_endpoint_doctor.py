"""`mistral-lsp doctor`: each problem found, with a fix, and a non-zero exit."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import trustme

from lsp_server.cli import doctor_cmd
from tests.fake_endpoint import TEST_KEY, Attacker, FakeMistral, Reply
from tests.lsp_harness import isolated_env


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated environment: XDG dirs under tmp_path, the test key, no proxies."""
    env = isolated_env(tmp_path)
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setenv("XDG_CONFIG_DIRS", env["XDG_CONFIG_DIRS"])
    monkeypatch.setenv("HOME", env["HOME"])
    monkeypatch.setenv("MISTRAL_API_KEY", TEST_KEY)
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "ws").mkdir()
    return tmp_path


def _write_user(home: Path, text: str) -> None:
    path = home / "xdg" / "config" / "mistral-lsp" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _write_policy(home: Path, text: str) -> None:
    path = home / "xdg" / "site" / "mistral-lsp" / "policy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _doctor(home: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict]:
    parser = argparse.ArgumentParser()
    doctor_cmd.add_arguments(parser)
    args = parser.parse_args(["--json", "--workspace", str(home / "ws"), *flags])
    code = doctor_cmd.run(args)
    out = capsys.readouterr().out
    assert TEST_KEY not in out
    report = json.loads(out)
    report["by_name"] = {c["name"]: c for c in report["checks"]}
    return code, report


def _custom(url: str, extra: str = "") -> str:
    return f'[endpoint]\npreset = "custom"\nurl = "{url}"\n{extra}'


def test_all_good_with_live_fim(home: Path, capsys) -> None:
    with FakeMistral() as fake:
        _write_user(home, _custom(fake.url) + '[models]\nchat = "mistral-large-latest"\n')
        code, report = _doctor(home, capsys, "--live")
        routes = [r.route for r in fake.requests]
    assert code == 0 and report["ok"] is True
    checks = report["by_name"]
    assert "from user layer" in checks["endpoint"]["detail"]
    assert checks["api key"]["detail"] == "set, from environment variable MISTRAL_API_KEY"
    assert checks["tls"]["status"] == "skip" and checks["live fim"]["status"] == "ok"
    audit = Path(checks["audit log"]["detail"])
    assert audit.is_relative_to(home) and len(audit.read_text().splitlines()) == 2
    assert routes == ["models", "fim"]


def test_without_live_no_code_is_sent(home: Path, capsys) -> None:
    with FakeMistral() as fake:
        _write_user(home, _custom(fake.url) + '[models]\nchat = "mistral-large-latest"\n')
        code, _ = _doctor(home, capsys)
        assert code == 0 and [r.route for r in fake.requests] == ["models"]


def test_missing_key_and_unknown_model_fail_with_fixes(home: Path, capsys, monkeypatch) -> None:
    with FakeMistral() as fake:
        _write_user(home, _custom(fake.url))
        monkeypatch.delenv("MISTRAL_API_KEY")
        code, report = _doctor(home, capsys)
        assert code == 1 and report["by_name"]["api key"]["fix"].startswith("export")
        assert fake.requests == []
        monkeypatch.setenv("MISTRAL_API_KEY", TEST_KEY)
        code, report = _doctor(home, capsys)  # models.chat default is not served by the fake
        assert code == 1
        assert report["by_name"]["models.chat"]["status"] == "fail"
        assert "mistral-large-latest" in report["by_name"]["models.chat"]["fix"]


def test_tls_with_the_configured_ca_and_with_a_wrong_one(home: Path, capsys) -> None:
    other = home / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with FakeMistral(tls=True) as fake:
        models = '[models]\nchat = "mistral-large-latest"\n'
        _write_user(home, _custom(fake.url, f'ca_bundle = "{fake.ca_pem_path}"\n') + models)
        code, report = _doctor(home, capsys)
        assert code == 0, report
        assert report["by_name"]["tls"]["status"] == "ok"
        assert "TLSv1." in report["by_name"]["tls"]["detail"]
        _write_user(home, _custom(fake.url, f'ca_bundle = "{other}"\n') + models)
        code, report = _doctor(home, capsys)
        assert code == 1
        assert report["by_name"]["tls"]["status"] == "fail"
        assert "ca_bundle" in report["by_name"]["tls"]["fix"]
        assert report["by_name"]["reachability"]["status"] == "fail"


def test_policy_refusing_the_endpoint(home: Path, capsys) -> None:
    with Attacker() as attacker:
        _write_user(home, _custom(attacker.url))
        _write_policy(home, '[policy]\nallowed_origins = ["https://mistral.internal.example"]\n')
        code, report = _doctor(home, capsys)
        attacker.settle()
        assert attacker.bytes_received == 0 and attacker.connections == 0
    assert code == 1
    assert "in force" in report["by_name"]["policy"]["detail"]
    assert report["by_name"]["endpoint"]["status"] == "fail"
    assert "allowed_origins" in report["by_name"]["endpoint"]["detail"]


def test_unreachable_and_failing_endpoints(home: Path, capsys) -> None:
    with FakeMistral() as fake:
        fake.script("models", Reply(status=401))
        _write_user(home, _custom(fake.url))
        code, report = _doctor(home, capsys)
        assert code == 1 and "API key" in report["by_name"]["reachability"]["fix"]
        url = fake.url
    code, report = _doctor(home, capsys)  # the server is gone now
    assert code == 1 and url in report["by_name"]["reachability"]["detail"]


def test_text_output_names_each_problem_and_its_fix(home: Path, capsys, monkeypatch) -> None:
    _write_user(home, _custom("http://mistral.internal.example"))
    parser = argparse.ArgumentParser()
    doctor_cmd.add_arguments(parser)
    code = doctor_cmd.run(parser.parse_args(["--workspace", str(home / "ws")]))
    out = capsys.readouterr().out
    assert code == 1
    assert "[fail] endpoint" in out and "fix: use an https:// URL" in out
    assert "1 problem(s) found" in out


# ------------------------------------------------------------------ engines


ENGINE_API = {"ollama": "ollama", "llamacpp": "llamacpp", "tgi": "tgi", "vllm": "openai"}
ENGINE_MODEL = {
    "ollama": "codestral",
    "llamacpp": "codestral-22b-v0.1-q4_k_m",
    "tgi": "mistralai/Codestral-22B-v0.1",
    "vllm": "codestral-latest",
}


def _engine_config(url: str, engine: str, model: str) -> str:
    return _custom(url, f'api = "{ENGINE_API[engine]}"\n') + f'[models]\ncompletion = "{model}"\n'


@pytest.mark.parametrize("engine", list(ENGINE_API))
def test_each_engine_all_good_without_a_key(
    home: Path, capsys, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    monkeypatch.delenv("MISTRAL_API_KEY")
    with FakeMistral(engine=engine) as fake:
        fake.default_fim = fake.default_completions = "a + b"
        _write_user(home, _engine_config(fake.url, engine, ENGINE_MODEL[engine]))
        code, report = _doctor(home, capsys, "--live")
    checks = report["by_name"]
    assert code == 0, report["checks"]
    assert checks["api key"]["status"] == "skip"
    assert checks["models.completion"]["status"] == "ok"
    assert checks["live fim"]["status"] == "ok"
    assert checks["fim"]["status"] == ("ok" if engine == "ollama" else "skip")
    assert checks["context"]["status"] == "ok" and "3276" in checks["context"]["detail"]


def test_ollama_chat_model_wrong_name_and_small_context(home: Path, capsys) -> None:
    with FakeMistral(engine="ollama") as fake:
        _write_user(home, _engine_config(fake.url, "ollama", "llama3.1"))
        fake.context_length = 2048
        code, report = _doctor(home, capsys)
        assert code == 1
        fim, ctx = report["by_name"]["fim"], report["by_name"]["context"]
        assert fim["status"] == "fail" and "codestral" in fim["fix"]
        assert ctx["status"] == "warn" and "completion.context_tokens" in ctx["fix"]
        _write_user(home, _engine_config(fake.url, "ollama", "codestrall"))
        code, report = _doctor(home, capsys)
    wrong = report["by_name"]["models.completion"]
    assert code == 1 and wrong["status"] == "fail"
    assert "codestral:latest" in wrong["fix"] and "ollama pull codestrall" in wrong["fix"]


def test_llamacpp_without_fim_fails_the_live_probe_with_a_fix(home: Path, capsys) -> None:
    with FakeMistral(engine="llamacpp") as fake:
        fake.fim_models = set()
        _write_user(home, _engine_config(fake.url, "llamacpp", ENGINE_MODEL["llamacpp"]))
        code, report = _doctor(home, capsys, "--live")
    live = report["by_name"]["live fim"]
    assert code == 1 and live["status"] == "fail"
    assert "Infill is not supported" in live["detail"] and "FIM model" in live["fix"]


@pytest.mark.parametrize("engine", ["vllm", "tgi"])
def test_chat_tuned_model_is_caught_by_the_live_probe(home: Path, capsys, engine: str) -> None:
    with FakeMistral(engine=engine) as fake:
        fake.models = ["mistralai/Mistral-7B-Instruct-v0.3"]
        _write_user(home, _engine_config(fake.url, engine, fake.models[0]))
        code, report = _doctor(home, capsys, "--live")
    live = report["by_name"]["live fim"]
    assert code == 1 and "chat prose" in live["detail"] and "chat-tuned" in live["fix"]


def test_server_down_says_how_to_start_it(home: Path, capsys) -> None:
    with FakeMistral(engine="ollama") as fake:
        url = fake.url
    _write_user(home, _engine_config(url, "ollama", "codestral"))
    code, report = _doctor(home, capsys)
    reach = report["by_name"]["reachability"]
    assert code == 1 and reach["status"] == "fail" and "ollama serve" in reach["fix"]


def test_local_preset_names_the_engine_it_found(home: Path, capsys) -> None:
    with FakeMistral(engine="llamacpp") as fake:
        _write_user(
            home,
            f'[endpoint]\npreset = "local"\nurl = "{fake.url}"\n'
            f'[models]\ncompletion = "{ENGINE_MODEL["llamacpp"]}"\n',
        )
        code, report = _doctor(home, capsys)
    assert code == 0, report["checks"]
    assert report["by_name"]["engine"]["detail"] == f"found llama.cpp at {fake.url}"
    assert "api llamacpp" in report["by_name"]["endpoint"]["detail"]


def test_local_preset_refuses_a_remote_url(home: Path, capsys) -> None:
    _write_user(home, '[endpoint]\npreset = "local"\nurl = "https://mistral.example"\n')
    code, report = _doctor(home, capsys)
    assert code == 1 and "only reaches this machine" in report["by_name"]["endpoint"]["detail"]
