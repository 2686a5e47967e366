import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import {
  classifyProbe,
  compareVersions,
  discoverLaunch,
  findBundle,
  fixHint,
  isSupportedPython,
  parsePythonVersion,
  parseVersion,
  planLaunch,
  probeVersion,
  pythonCandidates,
  versionCommand,
  which,
  type Discovery,
  type LaunchInputs,
  type ServerCommand,
} from "../src/serverCommand";

const BUNDLE = { tool: "/ext/bundled/tool/serve.py", versions: ["3.11", "3.12", "3.13"] };

function inputs(over: Partial<LaunchInputs> = {}): LaunchInputs {
  return {
    pythons: [{ path: "/usr/bin/python3", origin: "PATH", version: "3.12" }],
    bundle: BUNDLE,
    onPath: undefined,
    scriptNextTo: () => undefined,
    ...over,
  };
}

function server(plan: ReturnType<typeof planLaunch>): ServerCommand {
  if (!plan.ok) {
    throw new Error(plan.problem);
  }
  return plan.server;
}

describe("planLaunch", () => {
  it("bundled by default: the user's Python runs the bundled server, isolated from PYTHONPATH", () => {
    expect(server(planLaunch(inputs()))).toEqual({
      command: "/usr/bin/python3",
      args: ["-I", BUNDLE.tool, "serve"],
      source: "bundled",
      python: "/usr/bin/python3",
    });
  });

  it("skips interpreters the bundle was not built for, and names what it found when none fits", () => {
    const pythons = [
      { path: "/usr/bin/python3", origin: "PATH" as const, version: "3.10" },
      { path: "/usr/bin/python3.11", origin: "PATH" as const, version: "3.11" },
    ];
    expect(server(planLaunch(inputs({ pythons }))).command).toBe("/usr/bin/python3.11");
    const plan = planLaunch(inputs({ pythons: [pythons[0]!, { path: "/opt/py", origin: "PATH", version: undefined }] }));
    expect(plan.ok).toBe(false);
    const problem = plan.ok ? "" : plan.problem;
    expect(problem).toContain("3.11, 3.12, 3.13");
    expect(problem).toContain("/usr/bin/python3 (Python 3.10)");
    expect(problem).toContain("/opt/py (does not run)");
    expect(problem).not.toMatch(/pip install/);
  });

  it("environment: `mistral-lsp serve` next to the interpreter, else python -m lsp_server serve", () => {
    const next = planLaunch(inputs({ source: "environment", scriptNextTo: (p) => p.replace("python3", "mistral-lsp") }));
    expect(server(next)).toMatchObject({ command: "/usr/bin/mistral-lsp", args: ["serve"], source: "environment" });
    const module = planLaunch(inputs({ source: "environment" }));
    expect(server(module)).toMatchObject({ command: "/usr/bin/python3", args: ["-m", "lsp_server", "serve"] });
    const old = planLaunch(inputs({ source: "environment", pythons: [{ path: "/p", origin: "PATH", version: "3.9" }] }));
    expect(old.ok).toBe(false);
    expect(old.ok ? "" : old.problem).toContain("3.11 or newer");
    expect(old.ok ? false : old.canUseBundled).toBe(true);
  });

  it("path: mistral.server.path, else mistral-lsp on PATH (pipx), never a Python module", () => {
    const pipx = "/home/u/.local/bin/mistral-lsp";
    expect(server(planLaunch(inputs({ source: "path", onPath: pipx })))).toEqual({
      command: pipx,
      args: ["serve"],
      source: "path",
    });
    expect(server(planLaunch(inputs({ source: "path", path: "/opt/m/bin/mistral-lsp", onPath: pipx }))).command).toBe(
      "/opt/m/bin/mistral-lsp",
    );
    const missing = planLaunch(inputs({ source: "path" }));
    expect(missing.ok ? "" : missing.problem).toContain("pipx install mistral-lsp");
  });

  it("mistral.server.command overrides every source", () => {
    expect(server(planLaunch(inputs({ command: ["uvx", "mistral-lsp", "serve"], source: "path" })))).toEqual({
      command: "uvx",
      args: ["mistral-lsp", "serve"],
      source: "setting:server.command",
    });
  });

  it("a build without a bundle falls back to the environment and says so", () => {
    const plan = planLaunch(inputs({ bundle: undefined }));
    expect(server(plan).source).toBe("environment");
    expect(plan.ok && plan.note).toContain("no bundled server");
  });

  it("knows which Pythons are supported", () => {
    expect(parsePythonVersion("3.12\n")).toBe("3.12");
    expect(isSupportedPython("3.11")).toBe(true);
    expect(isSupportedPython("3.10")).toBe(false);
    expect(isSupportedPython("4.0")).toBe(true);
    expect(isSupportedPython(undefined)).toBe(false);
  });
});

describe("discovery", () => {
  function fake(versions: Record<string, string>, onPath: Record<string, string>): Discovery & { asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      bundle: BUNDLE,
      pythonVersion: async (p) => {
        asked.push(p);
        return versions[p];
      },
      which: (name) => onPath[name],
      scriptNextTo: () => undefined,
    };
  }
  const settings = { command: [], source: "bundled", path: "", python: "" };

  it("tries the Python extension's interpreter first, then PATH, and stops at the first that fits", async () => {
    const d = fake({ "/venv/bin/python": "3.10", "/usr/bin/python3": "3.12", "/usr/bin/python3.13": "3.13" }, {
      python3: "/usr/bin/python3",
      "python3.13": "/usr/bin/python3.13",
    });
    const plan = await discoverLaunch(settings, d, {}, async () => "/venv/bin/python");
    expect(server(plan).command).toBe("/usr/bin/python3");
    expect(d.asked).toEqual(["/venv/bin/python", "/usr/bin/python3"]);
  });

  it("mistral.server.python alone when set", async () => {
    const d = fake({ "/opt/py": "3.13" }, { python3: "/usr/bin/python3" });
    const plan = await discoverLaunch({ ...settings, python: "/opt/py" }, d, {}, async () => "/venv/bin/python");
    expect(server(plan).command).toBe("/opt/py");
    expect(d.asked).toEqual(["/opt/py"]);
  });

  it("source path asks no interpreter", async () => {
    const d = fake({}, { "mistral-lsp": "/home/u/.local/bin/mistral-lsp" });
    const plan = await discoverLaunch({ ...settings, source: "path" }, d, {}, async () => "/venv/bin/python");
    expect(server(plan).command).toBe("/home/u/.local/bin/mistral-lsp");
    expect(d.asked).toEqual([]);
  });

  it("candidates are deduplicated", () => {
    const lookup = (n: string) => ({ python3: "/usr/bin/python3", "python3.12": "/usr/bin/python3" })[n];
    expect(pythonCandidates("", "/usr/bin/python3", lookup)).toEqual([{ path: "/usr/bin/python3", origin: "python-extension" }]);
  });

  it("finds real executables on PATH and the bundle's versions on disk", () => {
    const dir = mkdtempSync(join(tmpdir(), "mistral-which-"));
    const exe = join(dir, "mistral-lsp");
    writeFileSync(exe, "#!/bin/sh\n");
    chmodSync(exe, 0o755);
    writeFileSync(join(dir, "not-executable"), "");
    expect(which("mistral-lsp", { PATH: `/nonexistent:${dir}` })).toBe(exe);
    expect(which("not-executable", { PATH: dir })).toBeUndefined();

    const ext = mkdtempSync(join(tmpdir(), "mistral-ext-"));
    expect(findBundle(ext)).toBeUndefined();
    mkdirSync(join(ext, "bundled", "tool"), { recursive: true });
    mkdirSync(join(ext, "bundled", "libs", "py3.12"), { recursive: true });
    mkdirSync(join(ext, "bundled", "libs", "common"), { recursive: true });
    writeFileSync(join(ext, "bundled", "tool", "serve.py"), "");
    expect(findBundle(ext)).toEqual({ tool: join(ext, "bundled", "tool", "serve.py"), versions: ["3.12"] });
  });
});

describe("version probe", () => {
  it("asks the same program for --version", () => {
    expect(versionCommand(server(planLaunch(inputs())))).toEqual({
      command: "/usr/bin/python3",
      args: ["-I", BUNDLE.tool, "--version"],
    });
    expect(versionCommand(server(planLaunch(inputs({ command: ["uvx", "mistral-lsp", "serve", "-v"] }))))).toEqual({
      command: "uvx",
      args: ["mistral-lsp", "--version"],
    });
    expect(versionCommand(server(planLaunch(inputs({ command: ["my-wrapper"] }))))).toBeUndefined();
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

  it("gives a fix the user can act on, and never a pip install (PEP 668)", () => {
    const env = server(planLaunch(inputs({ source: "environment" })));
    const notInstalled = fixHint(env, { kind: "not-installed", detail: "" });
    expect(notInstalled).toContain('not installed for "/usr/bin/python3"');
    expect(notInstalled).toContain("bundled");
    expect(notInstalled).toContain("pipx install mistral-lsp");
    expect(notInstalled).not.toMatch(/pip install -U|-m pip/);
    expect(fixHint(env, { kind: "too-old", version: "0.0.1" })).toContain("0.1.0 or newer");
    const custom = server(planLaunch(inputs({ command: ["nope", "serve"] })));
    expect(fixHint(custom, { kind: "not-found", detail: "ENOENT" })).toContain("mistral.server.command");
  });

  it("runs a real process: a missing program is not-found", async () => {
    const result = await probeVersion(server(planLaunch(inputs({ command: ["/nonexistent/mistral-lsp", "serve"] }))), process.env);
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
