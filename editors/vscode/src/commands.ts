/** The extension's own commands (palette, status bar menu) and the menu itself. */
import * as vscode from "vscode";

import type { MistralServer } from "./client";
import { reportMarkdown, type ConfigReport } from "./effective";
import { explanationText } from "./explain";
import { EXPLAIN_COMMAND } from "./middleware";
import type { ApiKeyStore } from "./secrets";
import { SECTION, type Inspected } from "./settings";

export const COMMANDS = {
  refactorSelection: "mistral.refactorSelection",
  explainSelection: "mistral.explainSelection",
  toggleCompletions: "mistral.toggleCompletionsSetting",
  setApiKey: "mistral.setApiKey",
  clearApiKey: "mistral.clearApiKey",
  restartServer: "mistral.restartServer",
  showLogs: "mistral.showLogs",
  openSettings: "mistral.openSettings",
  showMenu: "mistral.showMenu",
  showEffectiveSettings: "mistral.showEffectiveSettings",
} as const;

/**
 * Where flipping a boolean setting takes effect: the workspace when the workspace sets it
 * (a user-level change would be shadowed), otherwise the user's settings.
 */
export function toggleTarget(info: Inspected<boolean> | undefined): {
  target: "workspace" | "global";
  value: boolean;
} {
  const effective = info?.workspaceValue ?? info?.globalValue ?? info?.defaultValue ?? true;
  return { target: info?.workspaceValue !== undefined ? "workspace" : "global", value: !effective };
}

export async function toggleCompletions(): Promise<boolean> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const { target, value } = toggleTarget(config.inspect<boolean>("completion.enabled"));
  await config.update(
    "completion.enabled",
    value,
    target === "workspace" ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global,
  );
  void vscode.window.setStatusBarMessage(`Mistral: inline completions ${value ? "on" : "off"}`, 3000);
  return value;
}

export interface MenuItem extends vscode.QuickPickItem {
  command: string;
  args?: unknown[];
}

/** The status bar menu; pure apart from the types so its content is testable. */
/** What the key item says: the stored key, else the server's own (environment, key file). */
export function keyDescription(hasStoredKey: boolean, effective: ConfigReport | undefined): string {
  if (hasStoredKey) {
    return "a key is stored";
  }
  if (effective?.key.set) {
    return `using the key from ${effective.key.from}`;
  }
  return "no key set";
}

export function menuItems(state: {
  completionsEnabled: boolean;
  trusted: boolean;
  hasKey: boolean;
  effective?: ConfigReport | undefined;
}): MenuItem[] {
  const items: MenuItem[] = [];
  if (!state.trusted) {
    items.push({
      label: "$(shield) Manage workspace trust",
      detail: "Mistral makes no request until this workspace is trusted",
      command: "workbench.trust.manage",
    });
  }
  items.push(
    {
      label: state.completionsEnabled ? "$(circle-slash) Disable inline completions" : "$(sparkle) Enable inline completions",
      command: COMMANDS.toggleCompletions,
    },
    {
      label: "$(key) Set API key…",
      description: keyDescription(state.hasKey, state.effective),
      command: COMMANDS.setApiKey,
    },
    {
      label: "$(list-flat) Show effective settings",
      description: state.effective ? `endpoint from the ${state.effective.endpointSource()}` : "",
      command: COMMANDS.showEffectiveSettings,
    },
    { label: "$(output) Show logs", command: COMMANDS.showLogs },
    { label: "$(debug-restart) Restart server", command: COMMANDS.restartServer },
    { label: "$(settings-gear) Open settings", command: COMMANDS.openSettings },
  );
  return items;
}

/**
 * The active editor's selection as LSP arguments. An empty selection is sent as is: the server
 * then works on the function or class around the cursor.
 */
function selectionArgs(server: MistralServer): { uri: string; range: unknown } | undefined {
  const editor = vscode.window.activeTextEditor;
  const client = server.running;
  if (!editor) {
    void vscode.window.showInformationMessage("Mistral: open a file first.");
    return undefined;
  }
  if (!client) {
    void vscode.window.showWarningMessage("Mistral: the server is not running.", "Show logs").then((choice) => {
      if (choice) {
        void vscode.commands.executeCommand(COMMANDS.showLogs);
      }
    });
    return undefined;
  }
  return {
    uri: client.code2ProtocolConverter.asUri(editor.document.uri),
    range: client.code2ProtocolConverter.asRange(editor.selection),
  };
}

export function registerCommands(
  context: vscode.ExtensionContext,
  server: MistralServer,
  keys: ApiKeyStore,
  log: vscode.LogOutputChannel,
): void {
  const register = (id: string, handler: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));

  register(COMMANDS.refactorSelection, async () => {
    const args = selectionArgs(server);
    if (!args) {
      return;
    }
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Mistral: refactoring…" },
      () => server.refactor(args.uri, args.range),
    );
  });

  register(COMMANDS.explainSelection, async () => {
    const args = selectionArgs(server);
    if (!args) {
      return;
    }
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Mistral: explaining…" },
      () => server.executeServerCommand(EXPLAIN_COMMAND, [args]),
    );
    await server.showExplanation(explanationText(result));
  });

  register(COMMANDS.toggleCompletions, toggleCompletions);

  register(COMMANDS.setApiKey, async () => {
    const key = await vscode.window.showInputBox({
      title: "Mistral: Set API key",
      prompt: "Stored in VS Code's secret storage and given to the server in its environment; never in settings.",
      password: true,
      ignoreFocusOut: true,
      placeHolder: "API key",
    });
    if (key === undefined) {
      return;
    }
    // The secret storage's change event restarts the server (see extension.ts).
    if (key.trim() === "") {
      await keys.clear();
      log.info("API key removed from secret storage");
    } else {
      await keys.set(key);
      log.info("API key stored in secret storage");
    }
  });

  register(COMMANDS.clearApiKey, async () => {
    await keys.clear();
    log.info("API key removed from secret storage");
  });

  register(COMMANDS.restartServer, () => server.restart());
  register(COMMANDS.showLogs, () => log.show());
  register(COMMANDS.openSettings, () =>
    vscode.commands.executeCommand("workbench.action.openSettings", `@ext:${context.extension.id}`),
  );

  register(COMMANDS.showEffectiveSettings, async () => {
    const report = await server.refreshEffective();
    if (!report) {
      void vscode.window.showWarningMessage("Mistral: the server is not running, so it cannot say which settings it uses.");
      return;
    }
    const launch = server.lastLaunch ? [server.lastLaunch.server.command, ...server.lastLaunch.server.args].join(" ") : "";
    const doc = await vscode.workspace.openTextDocument({
      language: "markdown",
      content: reportMarkdown(report, server.remote, launch),
    });
    await vscode.window.showTextDocument(doc, { preview: true });
  });

  register(COMMANDS.showMenu, async () => {
    const items = menuItems({
      completionsEnabled: vscode.workspace.getConfiguration(SECTION).get<boolean>("completion.enabled") ?? true,
      trusted: vscode.workspace.isTrusted,
      hasKey: Boolean(await keys.get()),
      effective: server.effective,
    });
    const picked = await vscode.window.showQuickPick(items, { title: "Mistral", placeHolder: "Mistral" });
    if (picked) {
      await vscode.commands.executeCommand(picked.command, ...(picked.args ?? []));
    }
  });
}
