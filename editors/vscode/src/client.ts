/**
 * The server's lifecycle: resolve the command, check the version, hand over the API key through
 * the environment, start the language client, restart it when its command line or environment
 * must change. In an untrusted workspace the server is not started at all (see `start`).
 */
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  State,
  type ConfigurationParams,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

import { LANGUAGES } from "./languages";
import { explanationText, showMarkdown } from "./explain";
import { createExecuteCommandMiddleware, EXPLAIN_COMMAND, REFACTOR_COMMAND, type InstructionPrompt } from "./middleware";
import { ApiKeyStore, isValidEnvName, serverEnvironment } from "./secrets";
import {
  discoverLaunch,
  fixHint,
  machineDiscovery,
  probeVersion,
  type Discovery,
  type LaunchSettings,
  type ProbeResult,
  type ServerCommand,
} from "./serverCommand";
import { CONFIG_REPORT_COMMAND, parseConfigReport, settingsLayerNote, type ConfigReport } from "./effective";
import { buildServerSettings, needsRestart, SECTION, type JsonValue, type SettingsTree } from "./settings";
import { parseStatus, STATUS_NOTIFICATION, type StatusBar } from "./status";

export const CLIENT_ID = "mistral";
export const CLIENT_NAME = "Mistral";

/** The parts of LanguageClient this module uses; tests pass a fake. */
export type ClientLike = Pick<
  LanguageClient,
  | "start"
  | "stop"
  | "dispose"
  | "registerProposedFeatures"
  | "onNotification"
  | "onDidChangeState"
  | "sendNotification"
  | "sendRequest"
  | "code2ProtocolConverter"
  | "protocol2CodeConverter"
  | "isRunning"
>;

export type ClientFactory = (server: ServerOptions, client: LanguageClientOptions) => ClientLike;

export interface Dependencies {
  log: vscode.LogOutputChannel;
  status: StatusBar;
  keys: ApiKeyStore;
  createClient?: ClientFactory;
  findPython?: () => Promise<string | undefined>;
  /** Bundle, interpreters and PATH of this machine; defaults to the real ones. */
  discovery?: Discovery;
  /** Where the extension is installed (its bundled/ folder). */
  extensionRoot?: string;
  /** Whether VS Code reads machine-scoped settings from a remote's settings (code-server, SSH). */
  remote?: boolean;
  probe?: (server: ServerCommand, env: NodeJS.ProcessEnv) => Promise<ProbeResult>;
  baseEnv?: NodeJS.ProcessEnv;
  promptInstruction?: InstructionPrompt;
  /** Shows an explanation (Markdown); defaults to a read-only panel beside the editor. */
  showExplanation?: (markdown: string) => Promise<void>;
}

export const USE_BUNDLED = "Use the bundled server";

export const UNTRUSTED_MESSAGE =
  "Restricted Mode: the workspace is not trusted, so the Mistral server is not started and no AI request is made.";

function defaultClientFactory(server: ServerOptions, client: LanguageClientOptions): ClientLike {
  return new LanguageClient(CLIENT_ID, CLIENT_NAME, server, client);
}

async function defaultPrompt(): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: "Mistral: Refactor selection",
    prompt: "What should change? e.g. \"extract a function\", \"add type hints\", \"use pathlib\"",
    placeHolder: "Instruction for the model",
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === "" ? "Type an instruction, or press Escape to cancel" : undefined),
  });
}

function looksLikeWorkspaceEdit(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    ("changes" in value || "documentChanges" in value)
  );
}

export class MistralServer implements vscode.Disposable {
  private client: ClientLike | undefined;
  private lifecycle: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly createClient: ClientFactory;
  private readonly findPython: () => Promise<string | undefined>;
  private readonly probe: (server: ServerCommand, env: NodeJS.ProcessEnv) => Promise<ProbeResult>;
  private readonly prompt: InstructionPrompt;
  readonly showExplanation: (markdown: string) => Promise<void>;
  private readonly discovery: Discovery;
  /** What the running server was started with (for logs and tests; never the key itself). */
  lastLaunch: { server: ServerCommand; keyEnv: string; keyHandedOver: boolean; settingsKey: string } | undefined;
  /** The server's own view of its settings (`mistral.configReport`), once it answered. */
  effective: ConfigReport | undefined;

  constructor(private readonly deps: Dependencies) {
    this.createClient = deps.createClient ?? defaultClientFactory;
    this.findPython = deps.findPython ?? (async () => undefined);
    this.probe = deps.probe ?? probeVersion;
    this.prompt = deps.promptInstruction ?? defaultPrompt;
    this.showExplanation = deps.showExplanation ?? showMarkdown;
    this.discovery = deps.discovery ?? machineDiscovery(deps.extensionRoot);
    this.disposables.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.deps.log.info("Workspace trusted: starting the server");
        void this.restartIfChanged();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        // Granting trust also changes the restricted settings' effective values: the launch
        // settings decide, so the server starts once, not twice.
        if (needsRestart((section) => event.affectsConfiguration(section))) {
          void this.restartIfChanged("Server settings changed: restarting");
        }
      }),
    );
  }

  /** The settings a running server's command line and environment depend on. */
  private launchSettings(): LaunchSettings & { keyEnv: string } {
    const config = vscode.workspace.getConfiguration(SECTION);
    return {
      command: config.get<string[]>("server.command") ?? [],
      source: config.get<string>("server.source") ?? "bundled",
      path: config.get<string>("server.path") ?? "",
      python: config.get<string>("server.python") ?? "",
      keyEnv: config.get<string>("endpoint.apiKeyEnv") || "MISTRAL_API_KEY",
    };
  }

  /** Restart only when the server would be started differently (or is not running). */
  restartIfChanged(reason?: string): Promise<void> {
    return this.enqueue(async () => {
      const key = JSON.stringify(this.launchSettings());
      if (this.client?.isRunning() && this.lastLaunch?.settingsKey === key) {
        return;
      }
      if (reason) {
        this.deps.log.info(reason);
      }
      await this.doStop();
      await this.doStart();
    });
  }

  /** Whether VS Code reads machine-scoped settings from a remote's settings in this window. */
  get remote(): boolean {
    return this.deps.remote ?? false;
  }

  get running(): ClientLike | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** Serialises start/stop/restart so a burst of setting changes cannot start two servers. */
  private enqueue(step: () => Promise<void>): Promise<void> {
    this.lifecycle = this.lifecycle.then(step, step);
    return this.lifecycle;
  }

  /** Resolves when every queued start/stop/restart has finished. */
  settled(): Promise<void> {
    return this.lifecycle;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  /** The settings object sent to the server (initializationOptions and every update). */
  serverSettings(overrides: Record<string, JsonValue> = {}, scope?: vscode.Uri): SettingsTree {
    return buildServerSettings(vscode.workspace.getConfiguration(SECTION, scope), { overrides });
  }

  private async doStart(): Promise<void> {
    const { log, status, keys } = this.deps;
    if (!vscode.workspace.isTrusted) {
      // Not starting at all is the only airtight choice: the server would read the repository,
      // and the Python extension's interpreter may live in the untrusted repository itself.
      log.info(UNTRUSTED_MESSAGE);
      status.update({ state: "disabled", message: UNTRUSTED_MESSAGE });
      return;
    }
    status.update({ state: "starting", message: "Starting the server" });
    const settings = this.launchSettings();
    const settingsKey = JSON.stringify(settings);
    if (this.deps.remote) {
      log.info(settingsLayerNote(true));
    }
    const baseEnv = this.deps.baseEnv ?? process.env;
    const plan = await discoverLaunch(settings, this.discovery, baseEnv, this.findPython);
    if (!plan.ok) {
      this.reportProblem(plan.problem, plan.canUseBundled);
      return;
    }
    if (plan.note) {
      log.info(plan.note);
    }
    const server = plan.server;

    const keyEnv = settings.keyEnv;
    const key = await keys.get();
    if (key && !isValidEnvName(keyEnv)) {
      log.warn(`mistral.endpoint.apiKeyEnv "${keyEnv}" is not a valid variable name; the stored key is not handed over`);
    }
    const keyHandedOver = Boolean(key) && isValidEnvName(keyEnv);
    const env = serverEnvironment(baseEnv, keyEnv, key);
    log.info(
      `Server: ${[server.command, ...server.args].join(" ")} (from ${server.source}); ` +
        (keyHandedOver ? `API key from secret storage in $${keyEnv}` : "no stored API key"),
    );

    const probe = await this.probe(server, env);
    if (probe.kind !== "ok" && probe.kind !== "unprobed") {
      this.reportLaunchProblem(server, probe);
      return;
    }
    if (probe.kind === "ok") {
      log.info(`mistral-lsp ${probe.version}`);
    }

    // The server reads the key from the variable we put it in, whatever its own files say.
    const overrides: Record<string, JsonValue> = keyHandedOver ? { "endpoint.apiKeyEnv": keyEnv } : {};
    const client = this.createClient(
      { command: server.command, args: server.args, options: { env } },
      this.clientOptions(overrides),
    );
    client.registerProposedFeatures();
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => status.update(parseStatus(params)));
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped && !this.stopping) {
        status.update({ state: "error", message: "The server stopped. Use \"Mistral: Restart server\"." });
      }
    });
    this.client = client;
    this.lastLaunch = { server, keyEnv, keyHandedOver, settingsKey };
    try {
      await client.start();
    } catch (error) {
      status.update({ state: "error", message: `The server failed to start: ${String(error)}` });
      log.error(`The server failed to start: ${String(error)}`);
      return;
    }
    await this.refreshEffective();
  }

  /**
   * Asks the server what it actually uses (value and layer of every setting) and shows the
   * endpoint and model with their source: the editor's own settings can be shadowed by
   * config.toml or a policy, or ignored by VS Code (machine settings in a remote window).
   */
  async refreshEffective(): Promise<ConfigReport | undefined> {
    const client = this.running;
    if (!client) {
      return undefined;
    }
    try {
      const raw = await client.sendRequest(ExecuteCommandRequest.type, { command: CONFIG_REPORT_COMMAND, arguments: [] });
      this.effective = parseConfigReport(raw);
    } catch (error) {
      this.deps.log.warn(`Could not read the server's effective settings: ${String(error)}`);
      this.effective = undefined;
    }
    if (this.effective) {
      this.deps.status.setEffective(this.effective);
      this.deps.log.info(
        `Effective endpoint ${this.effective.endpointUrl || "(none)"} (from ${this.effective.sourceOf("endpoint.url")}), ` +
          `completion model ${this.effective.valueOf("models.completion")} (from ${this.effective.sourceOf("models.completion")})`,
      );
    }
    return this.effective;
  }

  private clientOptions(overrides: Record<string, JsonValue>): LanguageClientOptions {
    const executeCommand = createExecuteCommandMiddleware(this.prompt);
    return {
      documentSelector: LANGUAGES.flatMap((language) => [
        { scheme: "file", language },
        { scheme: "untitled", language },
      ]),
      outputChannel: this.deps.log,
      initializationOptions: this.serverSettings(overrides),
      synchronize: { configurationSection: SECTION },
      markdown: { isTrusted: false, supportHtml: false },
      middleware: {
        executeCommand: async (command, args, next) => {
          const result = await executeCommand(command, args, next);
          if (command === REFACTOR_COMMAND && looksLikeWorkspaceEdit(result)) {
            await this.applyEdit(result);
          }
          // The "Mistral: Explain" code action runs the command through VS Code, which drops
          // the answer: show it here.
          if (command === EXPLAIN_COMMAND && result !== undefined && result !== null) {
            await this.showExplanation(explanationText(result));
          }
          return result;
        },
        workspace: {
          // Push our own payload (only what the user set) instead of the whole section.
          didChangeConfiguration: async () => {
            await this.client?.sendNotification(DidChangeConfigurationNotification.type, {
              settings: { [SECTION]: this.serverSettings(overrides) },
            });
            await this.refreshEffective();
          },
          configuration: (params: ConfigurationParams, token, next) => {
            if (!params.items.some((item) => item.section === SECTION)) {
              return next(params, token);
            }
            return params.items.map((item) =>
              item.section === SECTION
                ? this.serverSettings(overrides, item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
                : null,
            );
          },
        },
      },
    };
  }

  private async applyEdit(edit: unknown): Promise<void> {
    const client = this.client;
    if (!client) {
      return;
    }
    const converted = await client.protocol2CodeConverter.asWorkspaceEdit(
      edit as Parameters<ClientLike["protocol2CodeConverter"]["asWorkspaceEdit"]>[0],
    );
    if (converted) {
      await vscode.workspace.applyEdit(converted);
    }
  }

  private reportLaunchProblem(server: ServerCommand, probe: ProbeResult): void {
    const canUseBundled = server.source !== "bundled" && this.discovery.bundle !== undefined;
    this.reportProblem(fixHint(server, probe), canUseBundled);
  }

  /** The problem in the status bar and a notification; never offers `pip install` (PEP 668). */
  private reportProblem(hint: string, canUseBundled: boolean): void {
    const where = this.deps.remote ? ` ${settingsLayerNote(true)}` : "";
    this.deps.log.error(hint + where);
    this.deps.status.update({ state: "error", message: hint });
    const actions = [...(canUseBundled ? [USE_BUNDLED] : []), "Open settings", "Show logs"];
    void vscode.window.showErrorMessage(`Mistral: ${hint}${where}`, ...actions).then((choice) => {
      if (choice === USE_BUNDLED) {
        void vscode.workspace
          .getConfiguration(SECTION)
          .update("server.source", "bundled", vscode.ConfigurationTarget.Global);
      } else if (choice === "Open settings") {
        void vscode.commands.executeCommand("workbench.action.openSettings", "mistral.server");
      } else if (choice === "Show logs") {
        this.deps.log.show();
      }
    });
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) {
      return;
    }
    this.stopping = true;
    try {
      if (client.isRunning()) {
        await client.stop(5000);
      }
    } catch (error) {
      this.deps.log.warn(`Stopping the server: ${String(error)}`);
    } finally {
      this.stopping = false;
      await Promise.resolve(client.dispose()).catch(() => undefined);
    }
  }

  /** Runs a server command (workspace/executeCommand). Throws when the server is not running. */
  async executeServerCommand(command: string, args: unknown[]): Promise<unknown> {
    const client = this.running;
    if (!client) {
      throw new Error("The Mistral server is not running");
    }
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  /** "Mistral: Refactor selection…" from the palette: same prompt and path as the code action. */
  async refactor(uri: string, range: unknown): Promise<unknown> {
    const middleware = createExecuteCommandMiddleware(this.prompt);
    const result = await middleware(REFACTOR_COMMAND, [{ uri, range }], (command, args) =>
      this.executeServerCommand(command, args),
    );
    if (looksLikeWorkspaceEdit(result)) {
      await this.applyEdit(result);
    }
    return result;
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables) {
      d.dispose();
    }
    await this.stop();
  }
}
