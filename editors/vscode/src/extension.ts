/** Entry point: wires the log, status bar, key store, server and commands together. */
import * as vscode from "vscode";

import { MistralServer } from "./client";
import { COMMANDS, registerCommands } from "./commands";
import { NextEditController } from "./nextEdit";
import { onDidChangeInterpreter, pythonFromExtension } from "./python";
import { ApiKeyStore } from "./secrets";
import { SECTION } from "./settings";
import { StatusBar } from "./status";

let server: MistralServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("Mistral", { log: true });
  const status = new StatusBar(COMMANDS.showMenu);
  const keys = new ApiKeyStore(context.secrets);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  // In a remote window (code-server, Remote-SSH, WSL) VS Code reads machine-scoped settings from
  // the remote's settings: we say so in the log, the menu and "Show effective settings".
  const remote = Boolean(vscode.env.remoteName) || vscode.env.uiKind === vscode.UIKind.Web;
  server = new MistralServer({
    log,
    status,
    keys,
    findPython: () => pythonFromExtension(folder),
    extensionRoot: context.extensionPath,
    remote,
  });
  context.subscriptions.push(log, status, { dispose: () => void server?.dispose() });
  registerCommands(context, server, keys, log);
  context.subscriptions.push(
    new NextEditController(() => {
      const client = server?.running;
      return client && { sendRequest: (method: string, params: unknown) => client.sendRequest(method, params) };
    }),
  );
  // A key set or cleared here or in another window reaches the server through its environment:
  // only a new process gets it.
  const showCompletionsSwitch = () =>
    status.setCompletionsEnabled(vscode.workspace.getConfiguration(SECTION).get<boolean>("completion.enabled") ?? true);
  showCompletionsSwitch();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.completion.enabled`)) {
        showCompletionsSwitch();
      }
    }),
    keys.onDidChange(() => {
      log.info("The API key changed: restarting the server");
      void server?.restart();
    }),
  );
  void onDidChangeInterpreter(() => {
    log.info("The Python interpreter changed: restarting the server on it");
    void server?.restart();
  }).then((d) => d && context.subscriptions.push(d));
  await server.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
