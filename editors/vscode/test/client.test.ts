import { beforeEach, describe, expect, it, vi } from "vitest";
import type { LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import * as vscode from "vscode";

import { MistralServer, type ClientLike, UNTRUSTED_MESSAGE } from "../src/client";
import { registerCommands } from "../src/commands";
import { ApiKeyStore } from "../src/secrets";
import type { ProbeResult } from "../src/serverCommand";
import { StatusBar } from "../src/status";
import { EventEmitter, FakeLog, mock, Position, Range, Uri, window } from "./vscode.mock";

// vscode-languageclient loads the real "vscode" through require(), which only exists in the
// editor; the client itself is faked through the factory, so keep only the protocol types.
vi.mock("vscode-languageclient/node", async () => ({
  ...(await import("vscode-languageserver-protocol")),
  State: { Stopped: 1, Running: 2, Starting: 3 },
  LanguageClient: class {
    constructor() {
      throw new Error("tests pass createClient");
    }
  },
}));

class FakeSecrets {
  private values = new Map<string, string>();
  private changed = new EventEmitter<{ key: string }>();
  onDidChange = this.changed.event;
  async get(key: string) {
    return this.values.get(key);
  }
  async store(key: string, value: string) {
    this.values.set(key, value);
    this.changed.fire({ key });
  }
  async delete(key: string) {
    this.values.delete(key);
    this.changed.fire({ key });
  }
}

interface Launch {
  server: ServerOptions & { command: string; args: string[]; options: { env: NodeJS.ProcessEnv } };
  options: LanguageClientOptions;
  client: FakeClient;
}

class FakeClient {
  running = false;
  stopped = 0;
  proposed = false;
  handlers = new Map<string, (params: unknown) => void>();
  sent: { method: unknown; params: unknown }[] = [];
  async start() {
    this.running = true;
  }
  async stop() {
    this.running = false;
    this.stopped++;
  }
  async dispose() {}
  isRunning() {
    return this.running;
  }
  registerProposedFeatures() {
    this.proposed = true;
  }
  onNotification(method: string, handler: (params: unknown) => void) {
    this.handlers.set(method, handler);
    return { dispose() {} };
  }
  onDidChangeState() {
    return { dispose() {} };
  }
  async sendNotification(method: unknown, params: unknown) {
    this.sent.push({ method, params });
  }
  async sendRequest(method: unknown, params: unknown) {
    this.sent.push({ method, params });
    return "## Explanation";
  }
  code2ProtocolConverter = {
    asUri: (uri: { toString(): string }) => uri.toString(),
    asRange: (r: { start: { line: number; character: number }; end: { line: number; character: number } }) => ({
      start: { line: r.start.line, character: r.start.character },
      end: { line: r.end.line, character: r.end.character },
    }),
  };
}

function setup(probe: ProbeResult = { kind: "ok", version: "0.1.0" }) {
  const launches: Launch[] = [];
  const log = new FakeLog("Mistral");
  const status = new StatusBar("mistral.showMenu");
  const keys = new ApiKeyStore(new FakeSecrets() as unknown as vscode.SecretStorage);
  const prompts: unknown[] = [];
  const explanations: string[] = [];
  const server = new MistralServer({
    log: log as unknown as vscode.LogOutputChannel,
    status,
    keys,
    baseEnv: { PATH: "/usr/bin", HOME: "/home/u" },
    findPython: async () => "/venv/bin/python",
    // No bundle in the unit tests' "extension": the environment's server, as in a dev build.
    discovery: {
      bundle: undefined,
      pythonVersion: async () => "3.12",
      which: () => undefined,
      scriptNextTo: () => undefined,
    },
    probe: async () => probe,
    showExplanation: async (markdown) => {
      explanations.push(markdown);
    },
    promptInstruction: async (args) => {
      prompts.push(args);
      return "make it faster";
    },
    createClient: (s, o) => {
      const client = new FakeClient();
      launches.push({ server: s as Launch["server"], options: o, client });
      return client as unknown as ClientLike;
    },
  });
  return { server, launches, log, status, keys, prompts, explanations, item: () => mock.statusItems[0]! };
}

beforeEach(() => mock.reset());

describe("untrusted workspace", () => {
  it("starts nothing and says why, then starts once trust is granted", async () => {
    mock.trusted = false;
    const { server, launches, item } = setup();
    await server.start();
    expect(launches).toHaveLength(0);
    expect(item().text).toBe("$(circle-slash) Mistral");
    expect(item().tooltip).toContain(UNTRUSTED_MESSAGE);

    mock.trusted = true;
    mock.grantTrust.fire();
    await server.settled();
    expect(launches).toHaveLength(1);
    expect(launches[0]!.client.running).toBe(true);
  });
});

describe("launch", () => {
  it("runs the Python extension's interpreter with -m lsp_server serve and proposed features", async () => {
    const { server, launches } = setup();
    await server.start();
    expect(launches).toHaveLength(1);
    const { server: s, client } = launches[0]!;
    expect([s.command, ...s.args]).toEqual(["/venv/bin/python", "-m", "lsp_server", "serve"]);
    expect(client.proposed).toBe(true);
    expect(client.running).toBe(true);
  });

  it("hands the stored key over in the variable named by apiKeyEnv, and nowhere else", async () => {
    const secret = "sk-test-0123456789abcdef";
    mock.set("global", "mistral.endpoint.apiKeyEnv", "CORP_MISTRAL_KEY");
    const { server, launches, keys, log } = setup();
    await keys.set(secret);
    await server.start();
    const { server: s, options } = launches[0]!;
    expect(s.options.env.CORP_MISTRAL_KEY).toBe(secret);
    expect(s.options.env.PATH).toBe("/usr/bin");
    expect(JSON.stringify(options.initializationOptions)).not.toContain(secret);
    expect((options.initializationOptions as { endpoint: object }).endpoint).toEqual({ apiKeyEnv: "CORP_MISTRAL_KEY" });
    expect(log.lines.join("\n")).not.toContain(secret);
    expect(log.lines.join("\n")).toContain("$CORP_MISTRAL_KEY");
    expect(JSON.stringify(mock.settings)).not.toContain(secret);
  });

  it("without a stored key leaves the inherited environment alone", async () => {
    const { server, launches } = setup();
    await server.start();
    expect(launches[0]!.server.options.env).toEqual({ PATH: "/usr/bin", HOME: "/home/u" });
  });

  it("sends initializationOptions with only the user's settings", async () => {
    mock.set("global", "mistral.completion.enabled", false);
    mock.set("global", "mistral.server.python", "/opt/python3");
    const { server, launches } = setup();
    await server.start();
    const opts = launches[0]!.options;
    expect(opts.initializationOptions).toMatchObject({ completion: { enabled: false }, endpoint: {} });
    expect(JSON.stringify(opts.initializationOptions)).not.toContain("python");
    expect(launches[0]!.server.command).toBe("/opt/python3");
    expect(opts.synchronize?.configurationSection).toBe("mistral");
  });

  it("reports a missing server with a fix instead of starting, never a pip install", async () => {
    const { server, launches, item } = setup({ kind: "not-installed", detail: "No module named lsp_server" });
    await server.start();
    expect(launches).toHaveLength(0);
    expect(item().text).toBe("$(error) Mistral");
    const message = mock.messages.find((m) => m.level === "error")!;
    expect(message.text).toContain('not installed for "/venv/bin/python"');
    expect(message.text).toContain("pipx install mistral-lsp");
    expect(message.text).not.toMatch(/pip install -U|-m pip/);
    expect(message.actions).not.toContain("Install in terminal");
  });

  it("says which settings layer it reads in a remote window (code-server)", async () => {
    const { server, log } = setup({ kind: "not-installed", detail: "No module named lsp_server" });
    (server as unknown as { deps: { remote: boolean } }).deps.remote = true;
    await server.start();
    const message = mock.messages.find((m) => m.level === "error")!;
    expect(message.text).toContain("Remote settings");
    expect(log.lines.join("\n")).toContain("ignores them in User settings");
  });

  it("restarts when the interpreter setting changes, not for behaviour settings", async () => {
    const { server, launches } = setup();
    await server.start();
    mock.set("global", "mistral.completion.debounceMs", 200);
    await server.settled();
    expect(launches).toHaveLength(1);
    mock.set("global", "mistral.server.python", "/opt/other/python3");
    await server.settled();
    expect(launches).toHaveLength(2);
    expect(launches[0]!.client.running).toBe(false);
    expect(launches[1]!.server.command).toBe("/opt/other/python3");
    expect(launches[1]!.client.running).toBe(true);
  });

  it("starts once when trust is granted, even though the restricted settings change with it", async () => {
    mock.trusted = false;
    const { server, launches } = setup();
    await server.start();
    mock.trusted = true;
    mock.grantTrust.fire();
    mock.set("global", "mistral.completion.debounceMs", 10); // a configuration event, as trust sends
    await server.settled();
    expect(launches).toHaveLength(1);
  });
});

describe("server messages and settings", () => {
  it("feeds mistral/status to the status bar", async () => {
    const { server, launches, item } = setup();
    await server.start();
    launches[0]!.client.handlers.get("mistral/status")!({
      state: "ready",
      message: "",
      endpoint: "https://api.eu.mistral.ai",
      model: "codestral-latest",
    });
    expect(item().text).toBe("$(sparkle) Mistral");
    expect(item().tooltip).toContain("api.eu.mistral.ai");
  });

  it("pushes changed settings as {settings: {mistral: ...}} and answers pulls the same way", async () => {
    const { server, launches } = setup();
    await server.start();
    const { options, client } = launches[0]!;
    mock.set("workspace", "mistral.index.exclude", ["vendor/**"]);
    await options.middleware!.workspace!.didChangeConfiguration!(["mistral"], async () => undefined);
    const pushed = client.sent.filter((m) => (m.params as { settings?: unknown }).settings !== undefined);
    expect(pushed.at(-1)!.params).toEqual({
      settings: {
        mistral: {
          endpoint: {},
          models: {},
          completion: {},
          refactor: {},
          index: { exclude: ["vendor/**"] },
          privacy: {},
          nextEdit: {},
        },
      },
    });
    const pulled = await options.middleware!.workspace!.configuration!(
      { items: [{ section: "mistral" }, { section: "editor" }] },
      undefined as never,
      () => ["unused"],
    );
    expect(pulled).toEqual([
      { endpoint: {}, models: {}, completion: {}, refactor: {}, index: { exclude: ["vendor/**"] }, privacy: {}, nextEdit: {} },
      null,
    ]);
  });

  it("asks for the refactor instruction when a code action runs mistral.refactor", async () => {
    const { server, launches, prompts } = setup();
    await server.start();
    const forwarded: unknown[] = [];
    const range = { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } };
    await launches[0]!.options.middleware!.executeCommand!("mistral.refactor", [{ uri: "file:///x.py", range }], (c, a) => {
      forwarded.push([c, a]);
      return null;
    });
    expect(prompts).toHaveLength(1);
    expect(forwarded).toEqual([["mistral.refactor", [{ uri: "file:///x.py", range, instruction: "make it faster" }]]]);
  });

  it("shows the Markdown answer of the Explain code action", async () => {
    const { server, launches, explanations, prompts } = setup();
    await server.start();
    const range = { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } };
    const result = await launches[0]!.options.middleware!.executeCommand!(
      "mistral.explain",
      [{ uri: "file:///x.py", range }],
      () => "## What it does\nAdds.",
    );
    expect(result).toBe("## What it does\nAdds.");
    expect(explanations).toEqual(["## What it does\nAdds."]);
    expect(prompts).toHaveLength(0);
  });

  it("does not show anything for other commands", async () => {
    const { server, launches, explanations } = setup();
    await server.start();
    await launches[0]!.options.middleware!.executeCommand!("mistral.accepted", [{}], () => null);
    expect(explanations).toEqual([]);
  });

  it("palette commands send the active selection, with the typed instruction for refactors", async () => {
    const { server, launches, prompts, explanations, keys, log } = setup();
    await server.start();
    const context = { subscriptions: [], extension: { id: "x.y" } } as unknown as vscode.ExtensionContext;
    registerCommands(context, server, keys, log as unknown as vscode.LogOutputChannel);
    const selection = new Range(new Position(3, 0), new Position(5, 4));
    window.activeTextEditor = { document: { uri: Uri.file("/ws/greet.py") }, selection };
    try {
      await mock.commands.get("mistral.refactorSelection")!();
      await mock.commands.get("mistral.explainSelection")!();
    } finally {
      window.activeTextEditor = undefined;
    }
    const range = { start: { line: 3, character: 0 }, end: { line: 5, character: 4 } };
    const requests = launches[0]!.client.sent.filter(
      (m) =>
        (m.method as { method?: string }).method === "workspace/executeCommand" &&
        (m.params as { command: string }).command !== "mistral.configReport",
    );
    expect(requests.map((r) => r.params)).toEqual([
      { command: "mistral.refactor", arguments: [{ uri: "file:///ws/greet.py", range, instruction: "make it faster" }] },
      { command: "mistral.explain", arguments: [{ uri: "file:///ws/greet.py", range }] },
    ]);
    expect(prompts).toHaveLength(1);
    expect(explanations).toEqual(["## Explanation"]);
  });
});
