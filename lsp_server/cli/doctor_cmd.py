"""`mistral-lsp doctor [--json] [--live]`: is the endpoint set up, allowed, trusted and reachable?

Each check reports ok / warn / fail / skip, and every failure carries a one-line fix. The exit
code is non-zero when any check fails. Nothing here prints the API key, and only `--live`
sends code (a tiny, fixed FIM snippet).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lsp_server.config import LoadedConfig, load_settings

LIVE_PROMPT = "def add(a: int, b: int) -> int:\n    return "
# How chat-tuned models open an answer to a FIM prompt (instead of continuing the code).
CHAT_OPENERS = ("sure", "here", "certainly", "of course", "i ", "the code", "this function")
FIM_MODEL_FIX = "this model is chat-tuned: use a FIM model such as codestral"


@dataclass
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail" | "skip"
    detail: str
    fix: str = ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")
    parser.add_argument("--live", action="store_true", help="Also send a tiny FIM request.")
    parser.add_argument(
        "--workspace", default=".", help="Workspace root whose .mistral-lsp.toml applies."
    )


def _layer(loaded: LoadedConfig, *keys: str) -> str:
    layers = [loaded.sources.get(k, "default") for k in keys]
    order = ("policy", "editor", "workspace", "user", "default")
    return next((lay for lay in order if lay in layers), "default")


def _config_checks(loaded: LoadedConfig) -> list[Check]:
    checks = []
    errors = [p for p in loaded.problems if getattr(p, "severity", "warning") == "error"]
    warnings = [p for p in loaded.problems if p not in errors]
    if errors:
        checks.append(
            Check("config", "fail", "; ".join(str(p) for p in errors), "fix the named file or key")
        )
    elif warnings:
        checks.append(Check("config", "warn", "; ".join(str(p) for p in warnings)))
    else:
        checks.append(Check("config", "ok", "configuration files are valid"))
    return checks


def _policy_check(loaded: LoadedConfig) -> Check:
    policy = loaded.settings.policy
    if not policy.active:
        return Check("policy", "ok", "no policy file in force")
    parts = ["in force from " + ", ".join(str(p) for p in loaded.policy_files)]
    if policy.allowed_origins:
        parts.append("allowed origins: " + ", ".join(policy.allowed_origins))
    if policy.locked:
        parts.append("locked: " + ", ".join(policy.locked))
    if policy.digest:
        parts.append(f"sha256 {policy.digest[:12]}")
    return Check("policy", "ok", "; ".join(parts))


async def _network_checks(loaded: LoadedConfig, roots: list[Path], live: bool) -> list[Check]:
    from lsp_server.endpoint import EndpointError, EndpointService, FimRequest
    from lsp_server.endpoint.probe import tls_handshake

    settings = loaded.settings
    ep = settings.endpoint
    checks: list[Check] = []
    service = EndpointService(settings, roots)
    try:
        status = service.status
        layer = _layer(loaded, "endpoint.preset", "endpoint.url")
        target = ep.base_url or "(none)"
        if service.config_problem:
            checks.append(
                Check(
                    "endpoint",
                    "fail",
                    f"{target} (from {layer} layer, api {ep.api}): {service.config_problem}",
                    _endpoint_fix(service.config_problem),
                )
            )
            return checks
        if ep.preset == "local":
            found = await service.discover_local(force=True)
            if found is None:
                checks.append(
                    Check(
                        "engine",
                        "fail",
                        service.status.message,
                        "start Ollama (`ollama serve`), llama-server or vLLM on this machine",
                    )
                )
                return checks
            target = found.url
            checks.append(Check("engine", "ok", f"found {found.engine} at {found.url}"))
        checks.append(Check("endpoint", "ok", f"{target} (from {layer} layer, api {service.api})"))
        if not service.has_key and service.status.state == "ready":
            checks.append(Check("api key", "skip", f"not needed for {service.engine}"))
        elif not service.has_key:
            checks.append(
                Check(
                    "api key",
                    "fail",
                    status.message,
                    f"export {ep.api_key_env}=<your key>, or set endpoint.api_key_file",
                )
            )
            return checks
        else:
            checks.append(Check("api key", "ok", f"set, from {service.key_source}"))

        if not service.origin.startswith("https://"):
            checks.append(Check("tls", "skip", "plain http (loopback or allowed by policy)"))
        elif ep.proxy:
            checks.append(Check("tls", "skip", f"through proxy {ep.proxy}: see reachability"))
        else:
            checks.append(await _tls_check(settings, tls_handshake))

        route = MODELS_ROUTE.get(service.api, "GET /v1/models")
        start = time.monotonic()
        try:
            models = await service.list_models()
        except EndpointError as exc:
            checks.append(Check("reachability", "fail", f"{route}: {exc.reason}", _fix_for(exc)))
            return checks
        ms = (time.monotonic() - start) * 1000
        checks.append(Check("reachability", "ok", f"{route}: {len(models)} models in {ms:.0f} ms"))
        if service.api == "mistral":
            checks.extend(_model_checks(settings, models))
        else:
            checks.extend(await _engine_checks(service, settings))

        if live:
            checks.append(await _live_fim(service, FimRequest))
        return checks
    finally:
        await service.aclose()


MODELS_ROUTE = {
    "openai": "GET /v1/models",
    "ollama": "GET /api/tags",
    "llamacpp": "GET /v1/models",
    "tgi": "GET /info",
}


async def _engine_checks(service: Any, settings: Any) -> list[Check]:
    """The completion model: there, able to fill in the middle, with room for the prompt."""
    from lsp_server.endpoint import EndpointError

    name = settings.models.completion
    key = "models.completion"
    try:
        facts = await service.inspect_model(name)
    except EndpointError as exc:
        return [Check(key, "fail", exc.reason, _fix_for(exc))]
    if not facts.exists:
        shown = ", ".join(facts.served[:6]) + (", ..." if len(facts.served) > 6 else "")
        fix = f"set {key} to one of: {shown}" if shown else "install or load a model first"
        if service.api == "ollama":
            fix += f" (or `ollama pull {name}`)"
        return [Check(key, "fail", f"{name} is not served by {service.engine}", fix)]
    checks = [
        Check(key, "warn", facts.note, f"set {key} to {facts.served[0]}")
        if facts.note and facts.served
        else Check(key, "ok", f"{name} is served by {service.engine}")
    ]
    if facts.can_fim is False:
        checks.append(
            Check(
                "fim",
                "fail",
                f"{name} cannot fill in the middle (no 'insert' capability)",
                FIM_MODEL_FIX,
            )
        )
    elif facts.can_fim is True:
        checks.append(Check("fim", "ok", f"{name} can fill in the middle"))
    else:
        checks.append(Check("fim", "skip", f"{service.engine} cannot tell without --live"))
    need = settings.completion.context_tokens + settings.completion.max_tokens
    if facts.context_length is None:
        checks.append(Check("context", "skip", "the engine does not report its context length"))
    elif facts.context_length < need:
        fix = f"set completion.context_tokens to {max(256, facts.context_length - 256)} or less"
        if service.api == "llamacpp":
            fix += f", or start llama-server with -c {need}"
        checks.append(
            Check(
                "context",
                "warn",
                f"{facts.context_length} tokens, the prompt budget needs {need}",
                fix,
            )
        )
    else:
        checks.append(Check("context", "ok", f"{facts.context_length} tokens (needs {need})"))
    return checks


def continuation_problem(prompt: str, answer: str) -> str:
    """Why `answer` is not a continuation of `prompt` ("" when it is one)."""
    text = answer.strip().lower()
    if not text:
        return ""
    if "```" in answer or text.startswith(CHAT_OPENERS):
        return "the answer is chat prose, not a continuation of the code"
    first_line = prompt.strip().splitlines()[0].strip().lower()
    if first_line and first_line in text:
        return "the answer repeats the prompt instead of continuing it"
    return ""


async def _live_fim(service: Any, fim_request: Any) -> Check:
    from lsp_server.endpoint import EndpointError

    start = time.monotonic()
    try:
        res = await service.fim(fim_request(LIVE_PROMPT, "\n", max_tokens=16))
    except EndpointError as exc:
        return Check("live fim", "fail", exc.reason, _fix_for(exc))
    ms = (time.monotonic() - start) * 1000
    problem = continuation_problem(LIVE_PROMPT, res.text)
    if problem:
        return Check("live fim", "fail", f"{res.model}: {problem}", FIM_MODEL_FIX)
    return Check("live fim", "ok", f"{res.model}: {len(res.text)} characters in {ms:.0f} ms")


async def _tls_check(settings: Any, tls_handshake: Any) -> Check:
    ca = settings.endpoint.ca_bundle or "the system store"
    try:
        report = await tls_handshake(
            settings, timeout_s=min(10.0, settings.endpoint.timeout_ms / 1000)
        )
    except ssl.SSLError as exc:
        return Check(
            "tls",
            "fail",
            f"handshake failed with CA {ca}: {exc.reason or exc}",
            "set endpoint.ca_bundle to the PEM file of your organisation's CA",
        )
    except (OSError, TimeoutError) as exc:
        return Check(
            "tls",
            "fail",
            f"cannot connect for the TLS handshake: {exc.__class__.__name__}",
            "check the endpoint host and port, and your network or endpoint.proxy",
        )
    expiry = f", expires in {report.expires_in_days} days" if report.expires_in_days else ""
    status = "warn" if report.expires_in_days is not None and report.expires_in_days < 14 else "ok"
    return Check(
        "tls",
        status,
        f"{report.version} with CA {ca}; certificate for {report.subject} "
        f"issued by {report.issuer}{expiry}",
        "renew the endpoint's certificate" if status == "warn" else "",
    )


def _model_checks(settings: Any, models: list[str]) -> list[Check]:
    checks = []
    if not models:
        return [Check("models", "warn", "the endpoint listed no models")]
    for key, name in (
        ("models.completion", settings.models.completion),
        ("models.chat", settings.models.chat),
    ):
        if name in models:
            checks.append(Check(key, "ok", f"{name} is served"))
        else:
            shown = ", ".join(models[:6]) + (", ..." if len(models) > 6 else "")
            checks.append(
                Check(key, "fail", f"{name} is not served here", f"set {key} to one of: {shown}")
            )
    return checks


def _endpoint_fix(message: str) -> str:
    if "ca_bundle" in message:
        return "point endpoint.ca_bundle at a readable PEM file of CA certificates"
    if "endpoint.proxy" in message:
        return "set endpoint.proxy to an http:// or https:// proxy URL, or leave it empty"
    if "allowed_origins" in message:
        return "choose an endpoint the policy allows, or ask your administrator"
    if "http://" in message or "https" in message:
        return "use an https:// URL for endpoint.url"
    if "endpoint.url" in message:
        return 'set endpoint.url, or endpoint.preset = "eu" or "codestral"'
    return "fix endpoint.preset / endpoint.url"


def _fix_for(exc: Any) -> str:
    from lsp_server.endpoint import (
        EndpointHTTPError,
        EndpointOffline,
        EndpointTimeout,
        PolicyViolation,
        RateLimited,
        RedirectRefused,
    )

    reason = getattr(exc, "reason", "")
    fix = getattr(exc, "fix", "")
    if isinstance(fix, str) and fix:
        return fix  # the engine recognised the problem (ModelUnfit)
    if "cannot connect" in reason and ": start" in reason:
        return reason.split(": ", 1)[1]
    if "TLS" in reason:
        return "set endpoint.ca_bundle to the PEM file of your organisation's CA"
    if isinstance(exc, EndpointHTTPError) and exc.status in (401, 403):
        return "check the API key (a new one can be created in the Mistral console)"
    if isinstance(exc, EndpointHTTPError) and exc.status == 404:
        return "check endpoint.url (it should be the server root, without /v1) and endpoint.api"
    if isinstance(exc, RedirectRefused):
        return "set endpoint.url to the final URL the server redirects to"
    if isinstance(exc, EndpointOffline | EndpointTimeout):
        return "check the network, the endpoint host and port, and endpoint.proxy"
    if isinstance(exc, RateLimited):
        return "wait a minute and retry; check your plan's rate limits"
    if isinstance(exc, PolicyViolation):
        return "choose an endpoint the policy allows, or ask your administrator"
    return "retry; if it persists, check the endpoint's logs"


def _audit_check(loaded: LoadedConfig) -> Check:
    import os

    from lsp_server.endpoint.audit import AuditLog

    privacy = loaded.settings.privacy
    if not privacy.audit_log:
        return Check("audit log", "ok", "disabled (privacy.audit_log = false)")
    path = AuditLog(privacy.audit_path or None).path
    parent = next((p for p in (path, *path.parents) if p.exists()), None)
    target = path if path.exists() else parent
    if target is None or not os.access(target, os.W_OK):
        return Check(
            "audit log",
            "fail",
            f"{path} is not writable",
            "set privacy.audit_path to a writable file, or fix the directory's permissions",
        )
    return Check("audit log", "ok", str(path))


def collect(args: argparse.Namespace) -> list[Check]:
    roots = [Path(args.workspace).resolve()]
    loaded = load_settings(roots)
    checks = _config_checks(loaded)
    checks.append(_policy_check(loaded))
    checks.append(_audit_check(loaded))
    checks.extend(asyncio.run(_network_checks(loaded, roots, bool(args.live))))
    return checks


def run(args: argparse.Namespace) -> int:
    checks = collect(args)
    failed = [c for c in checks if c.status == "fail"]
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for c in checks:
            print(f"[{c.status:^4}] {c.name:<18} {c.detail}")
            if c.fix and c.status in ("fail", "warn"):
                print(f"{'':7}{'':<18} fix: {c.fix}")
        print("all checks passed" if not failed else f"{len(failed)} problem(s) found")
    sys.stdout.flush()
    return 1 if failed else 0
