import { beforeEach, describe, expect, it } from "vitest";

import manifest from "../package.json";
import { allKeys, buildServerSettings, isMachineScoped, needsRestart, serverKeys } from "../src/settings";
import { mock, workspace } from "./vscode.mock";

// The server's settings model as the lead's brief lists it: key → [type, default, choices].
const SERVER_MODEL: Record<string, [string, unknown, string[]?]> = {
  "endpoint.preset": ["string", "eu", ["eu", "codestral", "custom", "local"]],
  "endpoint.url": ["string", ""],
  "endpoint.api": ["string", "mistral", ["mistral", "openai", "ollama", "llamacpp", "tgi"]],
  "endpoint.apiKeyEnv": ["string", "MISTRAL_API_KEY"],
  "endpoint.apiKeyFile": ["string", ""],
  "endpoint.proxy": ["string", ""],
  "endpoint.caBundle": ["string", ""],
  "endpoint.timeoutMs": ["integer", 10000],
  "models.completion": ["string", "codestral-latest"],
  "models.chat": ["string", "mistral-medium-latest"],
  "models.nextEdit": ["string", ""],
  "completion.enabled": ["boolean", true],
  "completion.debounceMs": ["integer", 75],
  "completion.maxTokens": ["integer", 128],
  "completion.contextTokens": ["integer", 2048],
  "completion.multiline": ["string", "auto", ["auto", "always", "never"]],
  "completion.exactTokenizer": ["boolean", true],
  "refactor.enabled": ["boolean", true],
  "refactor.maxTokens": ["integer", 2048],
  "nextEdit.enabled": ["boolean", true],
  "nextEdit.debounceMs": ["integer", 600],
  "index.enabled": ["boolean", true],
  "index.maxFileKb": ["integer", 512],
  "index.exclude": ["array", []],
  "privacy.exclude": ["array", []],
  "privacy.secrets": ["string", "redact", ["redact", "block"]],
  "privacy.auditLog": ["boolean", true],
  "privacy.auditPath": ["string", ""],
  "privacy.secretRules": ["string", ""],
  "privacy.auditForward": ["string", ""],
};

const config = () => workspace.getConfiguration("mistral");

beforeEach(() => mock.reset());

describe("contributed settings", () => {
  const props = manifest.contributes.configuration.properties as Record<
    string,
    { type: string; default: unknown; enum?: string[]; scope?: string }
  >;

  it("are exactly the server's keys plus the extension's server.* launch settings", () => {
    expect(serverKeys().sort()).toEqual(Object.keys(SERVER_MODEL).sort());
    expect(allKeys().filter((k) => !serverKeys().includes(k)).sort()).toEqual([
      "server.command",
      "server.path",
      "server.python",
      "server.source",
    ]);
    expect(props["mistral.server.source"]!.enum).toEqual(["bundled", "environment", "path"]);
    expect(props["mistral.server.source"]!.default).toBe("bundled");
  });

  it("have the server's types, defaults and choices", () => {
    for (const [key, [type, def, choices]] of Object.entries(SERVER_MODEL)) {
      const p = props[`mistral.${key}`]!;
      expect({ key, type: p.type, default: p.default, enum: p.enum }).toEqual({ key, type, default: def, enum: choices });
    }
  });

  it("scope endpoint, privacy and server settings to the machine and restrict them", () => {
    const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    const sensitive = allKeys().filter((k) => /^(endpoint|privacy|server)\./.test(k));
    expect(sensitive.length).toBe(18);
    for (const key of sensitive) {
      expect(isMachineScoped(key), key).toBe(true);
      expect(restricted, key).toContain(`mistral.${key}`);
    }
    expect(restricted.length).toBe(sensitive.length);
    expect(manifest.capabilities.untrustedWorkspaces.supported).toBe("limited");
  });
});

describe("buildServerSettings", () => {
  it("with defaults gives the nested camelCase object the server expects", () => {
    expect(buildServerSettings(config(), { includeDefaults: true })).toEqual({
      endpoint: {
        preset: "eu",
        url: "",
        api: "mistral",
        apiKeyEnv: "MISTRAL_API_KEY",
        apiKeyFile: "",
        proxy: "",
        caBundle: "",
        timeoutMs: 10000,
      },
      models: { completion: "codestral-latest", chat: "mistral-medium-latest", nextEdit: "" },
      completion: { enabled: true, debounceMs: 75, maxTokens: 128, contextTokens: 2048, multiline: "auto", exactTokenizer: true },
      refactor: { enabled: true, maxTokens: 2048 },
      nextEdit: { enabled: true, debounceMs: 600 },
      index: { enabled: true, maxFileKb: 512, exclude: [] },
      privacy: {
        exclude: [],
        secrets: "redact",
        auditLog: true,
        auditPath: "",
        secretRules: "",
        auditForward: "",
      },
    });
  });

  it("sends only what the user set, with every section present", () => {
    mock.set("global", "mistral.endpoint.preset", "custom");
    mock.set("global", "mistral.endpoint.url", "https://mistral.internal.example");
    mock.set("workspace", "mistral.completion.debounceMs", 150);
    mock.set("global", "mistral.server.python", "/usr/bin/python3");
    expect(buildServerSettings(config())).toEqual({
      endpoint: { preset: "custom", url: "https://mistral.internal.example" },
      models: {},
      completion: { debounceMs: 150 },
      refactor: {},
      nextEdit: {},
      index: {},
      privacy: {},
    });
  });

  it("ignores a workspace's value of a machine-scoped key", () => {
    mock.set("workspace", "mistral.endpoint.url", "https://attacker.example");
    mock.set("workspace", "mistral.privacy.secrets", "redact");
    const built = buildServerSettings(config());
    expect(built.endpoint).toEqual({});
    expect(built.privacy).toEqual({});
    mock.set("global", "mistral.endpoint.url", "https://mine.example");
    expect(buildServerSettings(config()).endpoint).toEqual({ url: "https://mine.example" });
  });

  it("applies overrides on top", () => {
    const built = buildServerSettings(config(), { overrides: { "endpoint.apiKeyEnv": "CORP_KEY" } });
    expect(built.endpoint).toEqual({ apiKeyEnv: "CORP_KEY" });
  });
});

describe("needsRestart", () => {
  const affects = (changed: string) => (section: string) => changed === section || changed.startsWith(`${section}.`);
  it("restarts for the command line and the key's variable only", () => {
    expect(needsRestart(affects("mistral.server.python"))).toBe(true);
    expect(needsRestart(affects("mistral.server.command"))).toBe(true);
    expect(needsRestart(affects("mistral.endpoint.apiKeyEnv"))).toBe(true);
    expect(needsRestart(affects("mistral.endpoint.url"))).toBe(false);
    expect(needsRestart(affects("mistral.completion.enabled"))).toBe(false);
  });
});
