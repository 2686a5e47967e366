"""The typed settings model: one frozen dataclass per section, the single source of every key.

Each field's metadata carries its documentation and constraints; the schema, the validation,
the README reference and the VS Code settings are all derived from (or checked against) it.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any, Literal

PRESET_URLS: dict[str, str] = {
    "eu": "https://api.eu.mistral.ai",
    "codestral": "https://codestral.mistral.ai",
}


def _key(doc: str, default: Any, *, minimum: int | None = None, maximum: int | None = None) -> Any:
    return field(default=default, metadata={"doc": doc, "minimum": minimum, "maximum": maximum})


def _layers() -> Any:
    """Not a key: `exclude` as one list per layer, so a `!` acts only inside its own list."""
    return field(default=(), metadata={"internal": True})


@dataclass(frozen=True)
class EndpointSettings:
    preset: Literal["eu", "codestral", "custom", "local"] = _key(
        "Which Mistral endpoint: `eu` (https://api.eu.mistral.ai), `codestral` "
        "(https://codestral.mistral.ai), `custom` (`endpoint.url`, e.g. on-prem) or `local` "
        "(an engine on this machine's loopback, found on its usual port).",
        "eu",
    )
    url: str = _key("Base URL for the `custom` preset, e.g. https://mistral.internal.example.", "")
    api: Literal["mistral", "openai", "ollama", "llamacpp", "tgi"] = _key(
        "Wire protocol: `mistral` (the Mistral API), `openai` (vLLM, LM Studio), `ollama`, "
        "`llamacpp` (llama-server) or `tgi` (Text Generation Inference).",
        "mistral",
    )
    api_key_env: str = _key("Environment variable that holds the API key.", "MISTRAL_API_KEY")
    api_key_file: str = _key("File that holds the API key (used when the variable is unset).", "")
    proxy: str = _key("HTTPS proxy URL for the endpoint (environment proxies are ignored).", "")
    ca_bundle: str = _key("PEM file of CA certificates to trust for the endpoint.", "")
    timeout_ms: int = _key("Timeout of one endpoint request, in ms.", 10000, minimum=100)

    @property
    def base_url(self) -> str:
        """The URL requests go to; empty means misconfigured, never a fallback host."""
        if self.preset in ("custom", "local"):  # local: empty until an engine is found
            return self.url.rstrip("/")
        return PRESET_URLS.get(self.preset, "")


@dataclass(frozen=True)
class ModelSettings:
    completion: str = _key("Model for fill-in-the-middle completions.", "codestral-latest")
    chat: str = _key("Model for refactors and explanations.", "mistral-medium-latest")
    next_edit: str = _key("Model for next-edit suggestions (empty: `models.chat`).", "")


@dataclass(frozen=True)
class CompletionSettings:
    enabled: bool = _key("Offer inline completions.", True)
    debounce_ms: int = _key(
        "Wait this long after a keystroke before asking the endpoint.", 75, minimum=0, maximum=2000
    )
    max_tokens: int = _key("Longest completion, in tokens.", 128, minimum=1, maximum=4096)
    context_tokens: int = _key(
        "Token budget for the prompt (prefix, suffix, repository context).",
        2048,
        minimum=256,
        maximum=32768,
    )
    multiline: Literal["auto", "always", "never"] = _key(
        "Multi-line completions: `auto` decides from the syntax tree.", "auto"
    )
    exact_tokenizer: bool = _key(
        "Count the prompt budget with Mistral's own tokenizer (~125 MB resident, loaded in the "
        "background after start-up). `false`: a fast estimate that leans high (~8% on average), "
        "so the same budget packs a little less context.",
        True,
    )


@dataclass(frozen=True)
class RefactorSettings:
    enabled: bool = _key("Offer Mistral code actions.", True)
    max_tokens: int = _key("Longest refactor answer, in tokens.", 2048, minimum=16, maximum=32768)


@dataclass(frozen=True)
class NextEditSettings:
    enabled: bool = _key(
        "Suggest the next edit elsewhere in the file after a pause (when the endpoint is ready).",
        True,
    )
    debounce_ms: int = _key(
        "Wait this long after the last edit before asking for a next edit.",
        600,
        minimum=0,
        maximum=10000,
    )


@dataclass(frozen=True)
class IndexSettings:
    enabled: bool = _key("Index the workspace with tree-sitter.", True)
    max_file_kb: int = _key("Skip files larger than this, in KiB.", 512, minimum=1)
    exclude: tuple[str, ...] = _key("Extra gitignore-style patterns the index skips.", ())
    exclude_layers: tuple[tuple[str, ...], ...] = _layers()


@dataclass(frozen=True)
class PrivacySettings:
    exclude: tuple[str, ...] = _key(
        "Gitignore-style patterns of files whose text never leaves the machine.", ()
    )
    exclude_layers: tuple[tuple[str, ...], ...] = _layers()
    secrets: Literal["redact", "block"] = _key(
        "Detected secrets: `redact` replaces them, `block` refuses the request.", "redact"
    )
    audit_log: bool = _key("Write one JSONL audit record per outbound request.", True)
    audit_path: str = _key("Audit log path (default: under the user log directory).", "")
    audit_forward: str = _key(
        "Forward audit records to the organisation's collector: `syslog+tls://host:6514`, "
        "`syslog+tcp://host:514`, `otlp+https://host:4318` or `otlp+http://host:4318` "
        "(empty: off). Its origin must pass the endpoint's boundary checks.",
        "",
    )
    secret_rules: str = _key(
        "A gitleaks TOML rule file whose rules are applied like the built-in secret detectors.",
        "",
    )


@dataclass(frozen=True)
class PolicySettings:
    locked: tuple[str, ...] = _key("Keys or whole sections no lower layer may change.", ())
    allowed_origins: tuple[str, ...] = _key("Origins the endpoint may be (policy only).", ())
    allow_insecure_http: bool = _key("Allow plain http:// to non-loopback endpoints.", False)
    allowed_proxies: tuple[str, ...] = _key(
        "Proxy URLs a lower layer may set once the policy pins the endpoint (policy only).", ()
    )
    # Not keys: facts about the policy file itself.
    active: bool = field(default=False, metadata={"internal": True})
    digest: str = field(default="", metadata={"internal": True})
    # Why the policy file could not be applied in full; a broken policy fails closed.
    error: str = field(default="", metadata={"internal": True})


@dataclass(frozen=True)
class Settings:
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    refactor: RefactorSettings = field(default_factory=RefactorSettings)
    next_edit: NextEditSettings = field(default_factory=NextEditSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    policy: PolicySettings = field(default_factory=PolicySettings)


def section_types() -> dict[str, type[Any]]:
    """Each section's name and dataclass, in declaration order."""
    return dict(typing.get_type_hints(Settings))
