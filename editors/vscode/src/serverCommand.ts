/**
 * Which process to start, and how to ask it for its version. Pure, apart from `probeVersion`,
 * which runs the command with `--version` before the real start so that a missing or outdated
 * server gets a useful message instead of a crashed client.
 */
import { execFile } from "node:child_process";

export const MODULE = "lsp_server";
export const MIN_SERVER_VERSION = "0.1.0";
export const DEFAULT_PYTHON = "python3";

export type CommandSource = "setting:server.command" | "setting:server.python" | "python-extension" | "default";

export interface ServerCommand {
  command: string;
  args: string[];
  source: CommandSource;
  /** The interpreter, when the server is started as `python -m lsp_server`. */
  python?: string;
}

export interface CommandInputs {
  /** `mistral.server.command`. */
  command?: readonly string[] | undefined;
  /** `mistral.server.python`. */
  python?: string | undefined;
  /** The Python extension's active interpreter for the workspace, when that extension is present. */
  pythonFromExtension?: string | undefined;
}

/** server.command, else server.python, else the Python extension's environment, else python3. */
export function resolveServerCommand(inputs: CommandInputs): ServerCommand {
  const command = (inputs.command ?? []).filter((part) => part.trim() !== "");
  if (command.length > 0) {
    return { command: command[0]!, args: command.slice(1), source: "setting:server.command" };
  }
  const candidates: [string | undefined, CommandSource][] = [
    [inputs.python, "setting:server.python"],
    [inputs.pythonFromExtension, "python-extension"],
    [DEFAULT_PYTHON, "default"],
  ];
  for (const [python, source] of candidates) {
    if (python && python.trim() !== "") {
      const interpreter = python.trim();
      return { command: interpreter, args: ["-m", MODULE, "serve"], source, python: interpreter };
    }
  }
  throw new Error("unreachable: the default interpreter is always a candidate");
}

/**
 * The same program asked for its version: `python -m lsp_server --version`, or for a custom
 * command everything before its `serve` argument followed by `--version`. A custom command
 * without `serve` cannot be probed safely (we do not know its syntax): undefined.
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

/** A one-line fix for the user, shown in the notification. */
export function fixHint(server: ServerCommand, result: ProbeResult): string {
  const pip = server.python ? `"${server.python}" -m pip install -U mistral-lsp` : "pip install -U mistral-lsp";
  switch (result.kind) {
    case "not-found":
      return server.source === "setting:server.command"
        ? `"${server.command}" was not found. Fix mistral.server.command, or clear it to use Python.`
        : `Python "${server.command}" was not found. Set mistral.server.python to an interpreter that has mistral-lsp.`;
    case "not-installed":
      return `mistral-lsp is not installed for "${server.command}". Install it: ${pip}`;
    case "too-old":
      return `mistral-lsp ${result.version} is too old (${MIN_SERVER_VERSION} or newer needed). Upgrade: ${pip}`;
    case "failed":
      return `The server did not start: ${result.detail}`;
    default:
      return "";
  }
}

/** The install command to prefill in a terminal (the user presses Enter), when it applies. */
export function installCommand(server: ServerCommand, result: ProbeResult): string | undefined {
  if (!server.python || (result.kind !== "not-installed" && result.kind !== "too-old")) {
    return undefined;
  }
  return `"${server.python}" -m pip install -U mistral-lsp`;
}
