import { describe, expect, it } from "vitest";

import { keyDescription } from "../src/commands";
import { parseConfigReport, reportMarkdown, settingsLayerNote } from "../src/effective";
import { statusView } from "../src/status";

// The shape of the server's mistral.configReport (lsp_server/features/config_report.py).
const RAW = {
  settings: {
    "endpoint.preset": { value: "custom", source: "user" },
    "endpoint.url": { value: "https://mistral.internal.example", source: "user" },
    "models.completion": { value: "codestral-latest", source: "default" },
    "privacy.exclude": { value: ["a|b"], source: "policy" },
  },
  "endpoint.api_key": { set: true, from: "environment variable MISTRAL_API_KEY" },
  endpoint_url: "https://mistral.internal.example",
  policy_files: ["/etc/xdg/mistral-lsp/policy.toml"],
};

describe("effective settings", () => {
  it("parses the server's report, and ignores anything else", () => {
    const report = parseConfigReport(RAW)!;
    expect(report.endpointUrl).toBe("https://mistral.internal.example");
    expect(report.endpointSource()).toBe("user config file");
    expect(report.sourceOf("models.completion")).toBe("built-in default");
    expect(report.key).toEqual({ set: true, from: "environment variable MISTRAL_API_KEY" });
    expect(parseConfigReport("## not a report")).toBeUndefined();
    expect(parseConfigReport({ state: "ready" })).toBeUndefined();
  });

  it("the status tooltip shows the effective endpoint and model with their source, not the editor's defaults", () => {
    const report = parseConfigReport(RAW)!;
    const view = statusView({ state: "ready", message: "", endpoint: "", model: "" }, true, report);
    expect(view.tooltip).toContain("Endpoint: mistral.internal.example (from the user config file)");
    expect(view.tooltip).toContain("Model: codestral-latest (from the built-in default)");
  });

  it("the menu knows a key from the environment works", () => {
    const report = parseConfigReport(RAW)!;
    expect(keyDescription(false, report)).toBe("using the key from environment variable MISTRAL_API_KEY");
    expect(keyDescription(true, report)).toBe("a key is stored");
    expect(keyDescription(false, undefined)).toBe("no key set");
  });

  it("names the settings layer VS Code reads machine settings from", () => {
    expect(settingsLayerNote(true)).toContain("Remote settings");
    expect(settingsLayerNote(false)).toContain("User settings");
  });

  it("renders a table with every row and its layer, pipes escaped", () => {
    const md = reportMarkdown(parseConfigReport(RAW)!, true, "/usr/bin/python3 -I serve.py serve");
    expect(md).toContain("| `endpoint.url` | `\"https://mistral.internal.example\"` | user config file |");
    expect(md).toContain("a\\|b");
    expect(md).toContain("Remote settings");
    expect(md).toContain("set (environment variable MISTRAL_API_KEY)");
  });
});
