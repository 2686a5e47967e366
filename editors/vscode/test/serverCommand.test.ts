import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import {
  classifyProbe,
  compareVersions,
  fixHint,
  installCommand,
  parseVersion,
  probeVersion,
  resolveServerCommand,
  versionCommand,
} from "../src/serverCommand";

describe("resolveServerCommand", () => {
  it("prefers mistral.server.command", () => {
    expect(
      resolveServerCommand({ command: ["mistral-lsp", "serve"], python: "/opt/py", pythonFromExtension: "/venv/python" }),
    ).toEqual({ command: "mistral-lsp", args: ["serve"], source: "setting:server.command" });
  });

  it("then mistral.server.python", () => {
    expect(resolveServerCommand({ command: [], python: "/opt/py", pythonFromExtension: "/venv/python" })).toEqual({
      command: "/opt/py",
      args: ["-m", "lsp_server", "serve"],
      source: "setting:server.python",
      python: "/opt/py",
    });
  });

  it("then the Python extension's environment", () => {
    const r = resolveServerCommand({ command: [""], python: "  ", pythonFromExtension: "/venv/bin/python" });
    expect([r.command, r.source]).toEqual(["/venv/bin/python", "python-extension"]);
  });

  it("else python3", () => {
    const r = resolveServerCommand({});
    expect([r.command, ...r.args]).toEqual(["python3", "-m", "lsp_server", "serve"]);
    expect(r.source).toBe("default");
  });
});

describe("version probe", () => {
  it("asks the same program for --version", () => {
    expect(versionCommand(resolveServerCommand({ python: "/p" }))).toEqual({
      command: "/p",
      args: ["-m", "lsp_server", "--version"],
    });
    expect(versionCommand(resolveServerCommand({ command: ["uvx", "mistral-lsp", "serve", "--verbose"] }))).toEqual({
      command: "uvx",
      args: ["mistral-lsp", "--version"],
    });
    expect(versionCommand(resolveServerCommand({ command: ["my-wrapper"] }))).toBeUndefined();
  });

  it("parses and compares versions", () => {
    expect(parseVersion("mistral-lsp 0.1.0\n")).toBe("0.1.0");
    expect(parseVersion("something else")).toBeUndefined();
    expect(compareVersions("0.1.0", "0.1.0")).toBe(0);
    expect(compareVersions("0.0.9", "0.1.0")).toBe(-1);
    expect(compareVersions("1.0.0", "0.10.0")).toBe(1);
  });

  it("classifies what happened", () => {
    expect(classifyProbe({ code: 0, stdout: "mistral-lsp 0.1.0", stderr: "" })).toEqual({ kind: "ok", version: "0.1.0" });
    expect(classifyProbe({ code: "ENOENT", stdout: "", stderr: "" }).kind).toBe("not-found");
    expect(
      classifyProbe({ code: 1, stdout: "", stderr: "/usr/bin/python3: No module named lsp_server" }).kind,
    ).toBe("not-installed");
    expect(classifyProbe({ code: 0, stdout: "mistral-lsp 0.0.3", stderr: "" })).toEqual({
      kind: "too-old",
      version: "0.0.3",
    });
    expect(classifyProbe({ code: 2, stdout: "", stderr: "Traceback: boom" }).kind).toBe("failed");
  });

  it("gives a fix the user can act on", () => {
    const py = resolveServerCommand({ python: "/usr/bin/python3" });
    expect(fixHint(py, { kind: "not-installed", detail: "" })).toContain('"/usr/bin/python3" -m pip install -U mistral-lsp');
    expect(fixHint(py, { kind: "too-old", version: "0.0.1" })).toContain("0.1.0 or newer");
    expect(installCommand(py, { kind: "too-old", version: "0.0.1" })).toBe('"/usr/bin/python3" -m pip install -U mistral-lsp');
    const custom = resolveServerCommand({ command: ["nope", "serve"] });
    expect(fixHint(custom, { kind: "not-found", detail: "ENOENT" })).toContain("mistral.server.command");
    expect(installCommand(custom, { kind: "not-found", detail: "ENOENT" })).toBeUndefined();
  });

  it("runs a real process: a missing program is not-found", async () => {
    const result = await probeVersion(resolveServerCommand({ command: ["/nonexistent/mistral-lsp", "serve"] }), process.env);
    expect(result.kind).toBe("not-found");
  });

  it("runs a real process: an interpreter without the package is not-installed", async () => {
    // A node script stands in for an interpreter that prints Python's message.
    const dir = mkdtempSync(join(tmpdir(), "mistral-probe-"));
    const script = join(dir, "fake.js");
    writeFileSync(script, "process.stderr.write(`python: No module named lsp_server (${process.argv[2]})`); process.exit(1);");
    const result = await probeVersion(
      { command: process.execPath, args: [script, "serve"], source: "setting:server.command" },
      process.env,
    );
    expect(result).toEqual({ kind: "not-installed", detail: "python: No module named lsp_server (--version)" });
  });
});
