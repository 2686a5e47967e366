/**
 * Which process to start, and how to ask it for its version.
 *
 * Like ruff-vscode and Microsoft's vscode-python-tools-extension-template, the extension ships
 * the server: `bundled/libs` holds mistral-lsp and its dependencies (installed at package time
 * with `pip install --target`, see scripts/bundle.py) and `bundled/tool/serve.py` puts them first
 * on sys.path — the template's `bundled/tool/lsp_server.py` and its `importStrategy` setting
 * (`useBundled` | `fromEnvironment`) are the model for `mistral.server.source`:
 *
 * - `bundled` (default): the user's Python >= 3.11 (the Python extension's interpreter, else
 *   python3 / python3.X on PATH) runs `-I bundled/tool/serve.py serve`;
 * - `environment`: that interpreter's own install: the `mistral-lsp` script next to it
 *   (`mistral-lsp serve`, the command Neovim and the recipes use), else `python -m lsp_server serve`;
 * - `path`: `mistral.server.path`, else `mistral-lsp` found on PATH (pipx installs it there).
 *
 * `mistral.server.command` overrides all three. Everything here is pure apart from the probes at
 * the bottom, so each decision is tested without an editor.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

export const MODULE = "lsp_server";
export const EXECUTABLE = "mistral-lsp";
export const MIN_SERVER_VERSION = "0.1.0";
export const MIN_PYTHON: [number, number] = [3, 11];
export const PATH_PYTHONS = ["python3", "python3.13", "python3.12", "python3.11", "python"];

export const SOURCES = ["bundled", "environment", "path"] as const;
export type ServerSource = (typeof SOURCES)[number];

export type CommandSource = "setting:server.command" | ServerSource;
export type PythonOrigin = "setting:server.python" | "python-extension" | "PATH";

export interface ServerCommand {
  command: string;
  args: string[];
  source: CommandSource;
  /** The interpreter, when the server runs on Python we chose. */
  python?: string;
}

export interface PythonCandidate {
  path: string;
  origin: PythonOrigin;
  /** "3.12", or undefined when it could not be run. */
  version: string | undefined;
}

export interface Bundle {
  /** bundled/tool/serve.py */
  tool: string;
  /** Python versions a bundle exists for, e.g. ["3.11", "3.12", "3.13"]. */
  versions: string[];
}

export interface LaunchInputs {
  /** `mistral.server.command`. */
  command?: readonly string[] | undefined;
  source?: ServerSource | string | undefined;
  /** `mistral.server.path`. */
  path?: string | undefined;
  /** Interpreters in order of preference, already asked for their version. */
  pythons: PythonCandidate[];
  bundle: Bundle | undefined;
  /** `mistral-lsp` on PATH, if any. */
  onPath: string | undefined;
  /** The `mistral-lsp` script next to an interpreter (a venv's bin/), if any. */
  scriptNextTo: (python: string) => string | undefined;
}

export type LaunchPlan =
  | { ok: true; server: ServerCommand; note?: string }
  | { ok: false; problem: string; canUseBundled: boolean };

export function parsePythonVersion(text: string): string | undefined {
  return /^(\d+)\.(\d+)/.exec(text.trim())?.slice(1, 3).join(".");
}

export function isSupportedPython(version: string | undefined): boolean {
  if (!version) {
    return false;
  }
  const [major, minor] = version.split(".").map(Number);
  return major! > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor! >= MIN_PYTHON[1]);
}

function describe(candidates: PythonCandidate[]): string {
  if (candidates.length === 0) {
    return "no Python interpreter was found";
  }
  return (
    "found " +
    candidates.map((c) => `${c.path} (${c.version ? `Python ${c.version}` : "does not run"})`).join(", ")
  );
}

/** The command to start, or why there is none — in words the user can act on. */
export function planLaunch(inputs: LaunchInputs): LaunchPlan {
  const command = (inputs.command ?? []).filter((part) => part.trim() !== "");
  if (command.length > 0) {
    return { ok: true, server: { command: command[0]!, args: command.slice(1), source: "setting:server.command" } };
  }
  const source: ServerSource = SOURCES.includes(inputs.source as ServerSource)
    ? (inputs.source as ServerSource)
    : "bundled";
  const canUseBundled = source !== "bundled" && inputs.bundle !== undefined;
  const want = `${MIN_PYTHON.join(".")} or newer`;

  if (source === "path") {
    const exe = inputs.path?.trim() || inputs.onPath;
    if (!exe) {
      return {
        ok: false,
        canUseBundled,
        problem:
          `mistral.server.source is "path" but ${EXECUTABLE} is not on PATH and mistral.server.path is empty. ` +
          `Install it with "pipx install ${EXECUTABLE}", set mistral.server.path, or use the bundled server.`,
      };
    }
    return { ok: true, server: { command: exe, args: ["serve"], source: "path" } };
  }

  if (source === "environment") {
    const python = inputs.pythons.find((c) => isSupportedPython(c.version));
    if (!python) {
      return {
        ok: false,
        canUseBundled,
        problem: `mistral-lsp needs Python ${want}: ${describe(inputs.pythons)}. Set mistral.server.python.`,
      };
    }
    const script = inputs.scriptNextTo(python.path);
    const server: ServerCommand = script
      ? { command: script, args: ["serve"], source: "environment", python: python.path }
      : { command: python.path, args: ["-m", MODULE, "serve"], source: "environment", python: python.path };
    return { ok: true, server };
  }

  // bundled
  if (!inputs.bundle) {
    const fallback = planLaunch({ ...inputs, source: "environment" });
    return fallback.ok
      ? { ...fallback, note: "this build of the extension has no bundled server: using the environment's" }
      : fallback;
  }
  const bundle = inputs.bundle;
  const python = inputs.pythons.find((c) => c.version !== undefined && bundle.versions.includes(c.version));
  if (!python) {
    return {
      ok: false,
      canUseBundled: false,
      problem:
        `The bundled server needs Python ${bundle.versions.join(", ")}: ${describe(inputs.pythons)}. ` +
        "Install one of them, or point mistral.server.python at it.",
    };
  }
  return {
    ok: true,
    server: { command: python.path, args: ["-I", bundle.tool, "serve"], source: "bundled", python: python.path },
  };
}

/**
 * The same program asked for its version: everything before its `serve` argument followed by
 * `--version`. A custom command without `serve` cannot be probed safely: undefined.
 */
export function versionCommand(server: ServerCommand): { command: string; args: string[] } | undefined {
  const serveAt = server.args.indexOf("serve");
  if (serveAt < 0) {
    return undefined;
  }
  return { command: server.command, args: [...server.args.slice(0, serveAt), "--version"] };
}

/** "mistral-lsp 0.1.0" → "0.1.0". */
export function parseVersion(output: string): string | undefined {
  const match = /mistral-lsp\s+v?(\d+\.\d+\.\d+)/.exec(output);
  return match?.[1];
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return Math.sign(d);
    }
  }
  return 0;
}

export type ProbeResult =
  | { kind: "ok"; version: string }
  | { kind: "unprobed" }
  | { kind: "not-found"; detail: string }
  | { kind: "not-installed"; detail: string }
  | { kind: "too-old"; version: string }
  | { kind: "failed"; detail: string };

export interface ExecOutcome {
  /** Node's error code ("ENOENT", "EACCES"), or the exit code. */
  code?: string | number | undefined;
  stdout: string;
  stderr: string;
}

/** Classifies what `--version` did; pure so each case is testable. */
export function classifyProbe(outcome: ExecOutcome): ProbeResult {
  if (outcome.code === "ENOENT" || outcome.code === "EACCES") {
    return { kind: "not-found", detail: String(outcome.code) };
  }
  const text = `${outcome.stdout}\n${outcome.stderr}`;
  if (/No module named ['"]?lsp_server/.test(text)) {
    return { kind: "not-installed", detail: outcome.stderr.trim() };
  }
  const version = parseVersion(text);
  if (outcome.code !== undefined && outcome.code !== 0) {
    return { kind: "failed", detail: (outcome.stderr || outcome.stdout).trim().slice(-500) };
  }
  if (!version) {
    return { kind: "failed", detail: `unexpected --version output: ${text.trim().slice(0, 200)}` };
  }
  if (compareVersions(version, MIN_SERVER_VERSION) < 0) {
    return { kind: "too-old", version };
  }
  return { kind: "ok", version };
}

/**
 * A one-line fix for the user. It never proposes `pip install` into an interpreter: on Debian and
 * Ubuntu that ends in PEP 668's "externally-managed-environment" error. The bundled server and
 * pipx are the ways that always work.
 */
export function fixHint(server: ServerCommand, result: ProbeResult): string {
  const alternatives =
    server.source === "bundled"
      ? ""
      : ` Use the bundled server (mistral.server.source "bundled"), or "pipx install ${EXECUTABLE}" and mistral.server.source "path".`;
  switch (result.kind) {
    case "not-found":
      return server.source === "setting:server.command"
        ? `"${server.command}" was not found. Fix mistral.server.command, or clear it.`
        : `"${server.command}" was not found.${alternatives}`;
    case "not-installed":
      return `mistral-lsp is not installed for "${server.python ?? server.command}".${alternatives}`;
    case "too-old":
      return `mistral-lsp ${result.version} is too old (${MIN_SERVER_VERSION} or newer needed).${alternatives}`;
    case "failed":
      return `The server did not start: ${result.detail}`;
    default:
      return "";
  }
}

// ---- probes (I/O) ----

export function probeVersion(
  server: ServerCommand,
  env: NodeJS.ProcessEnv,
  timeoutMs = 20000,
): Promise<ProbeResult> {
  const probe = versionCommand(server);
  if (!probe) {
    return Promise.resolve({ kind: "unprobed" });
  }
  return new Promise((resolve) => {
    execFile(probe.command, probe.args, { env, timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      const code = error ? ((error as NodeJS.ErrnoException).code ?? (error as { code?: number }).code ?? 1) : 0;
      resolve(classifyProbe({ code, stdout: String(stdout), stderr: String(stderr) }));
    });
  });
}

/** "3.12" for an interpreter, undefined when it does not run. */
export function pythonVersion(python: string, env: NodeJS.ProcessEnv, timeoutMs = 10000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      python,
      ["-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
      { env, timeout: timeoutMs, windowsHide: true },
      (error, stdout) => resolve(error ? undefined : parsePythonVersion(String(stdout))),
    );
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `name` on PATH (with Windows' extensions), like `which`. */
export function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      if (dir && existsSync(candidate) && isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

export function scriptNextTo(python: string): string | undefined {
  const name = process.platform === "win32" ? `${EXECUTABLE}.exe` : EXECUTABLE;
  const candidate = join(dirname(python), name);
  return existsSync(candidate) && isExecutable(candidate) ? candidate : undefined;
}

/** The bundle shipped in this extension (`bundled/libs/py3.X`), if the .vsix has one. */
export function findBundle(extensionRoot: string): Bundle | undefined {
  const libs = join(extensionRoot, "bundled", "libs");
  const tool = join(extensionRoot, "bundled", "tool", "serve.py");
  if (!existsSync(tool) || !existsSync(libs)) {
    return undefined;
  }
  const versions = readdirSync(libs)
    .filter((n) => /^py\d+\.\d+$/.test(n))
    .map((n) => n.slice(2));
  return versions.length > 0 ? { tool, versions } : undefined;
}

/** Interpreters to try, in order: the setting alone when set, else the Python extension's, then PATH. */
export function pythonCandidates(
  setting: string | undefined,
  fromExtension: string | undefined,
  lookup: (name: string) => string | undefined,
): { path: string; origin: PythonOrigin }[] {
  if (setting && setting.trim() !== "") {
    return [{ path: setting.trim(), origin: "setting:server.python" }];
  }
  const out: { path: string; origin: PythonOrigin }[] = [];
  if (fromExtension) {
    out.push({ path: fromExtension, origin: "python-extension" });
  }
  for (const name of PATH_PYTHONS) {
    const found = lookup(name);
    if (found && !out.some((c) => c.path === found)) {
      out.push({ path: found, origin: "PATH" });
    }
  }
  return out;
}

/** What the machine offers; tests pass a fake. */
export interface Discovery {
  bundle: Bundle | undefined;
  pythonVersion(path: string, env: NodeJS.ProcessEnv): Promise<string | undefined>;
  which(name: string, env: NodeJS.ProcessEnv): string | undefined;
  scriptNextTo(python: string): string | undefined;
}

export function machineDiscovery(extensionRoot: string | undefined): Discovery {
  return {
    bundle: extensionRoot ? findBundle(extensionRoot) : undefined,
    pythonVersion,
    which,
    scriptNextTo,
  };
}

export interface LaunchSettings {
  command: readonly string[];
  source: string;
  path: string;
  python: string;
}

/** Finds and asks the interpreters only when the chosen source needs one. */
export async function discoverLaunch(
  settings: LaunchSettings,
  discovery: Discovery,
  env: NodeJS.ProcessEnv,
  findPython: () => Promise<string | undefined>,
): Promise<LaunchPlan> {
  const needsPython = settings.command.every((p) => p.trim() === "") && settings.source !== "path";
  const pythons: PythonCandidate[] = [];
  if (needsPython) {
    const fromExtension = settings.python.trim() === "" ? await findPython() : undefined;
    for (const c of pythonCandidates(settings.python, fromExtension, (n) => discovery.which(n, env))) {
      const version = await discovery.pythonVersion(c.path, env);
      pythons.push({ ...c, version });
      const bundled = settings.source !== "environment" && discovery.bundle !== undefined;
      if (bundled ? version !== undefined && discovery.bundle!.versions.includes(version) : isSupportedPython(version)) {
        break; // the first that fits is the one planLaunch picks: no need to start the others
      }
    }
  }
  return planLaunch({
    command: settings.command,
    source: settings.source,
    path: settings.path,
    pythons,
    bundle: discovery.bundle,
    onPath: settings.source === "path" ? discovery.which(EXECUTABLE, env) : undefined,
    scriptNextTo: discovery.scriptNextTo,
  });
}
