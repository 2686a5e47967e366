import { beforeEach, describe, expect, it, vi } from "vitest";
import type * as vscode from "vscode";

import manifest from "../package.json";
import { menuItems, toggleCompletions, toggleTarget } from "../src/commands";
import { MistralServer } from "../src/client";
import { activate } from "../src/extension";
import { EventEmitter, FakeLog, mock, workspace } from "./vscode.mock";

vi.mock("vscode-languageclient/node", async () => ({
  ...(await import("vscode-languageserver-protocol")),
  State: { Stopped: 1, Running: 2, Starting: 3 },
  LanguageClient: class {
    constructor() {
      throw new Error("no language client in unit tests");
    }
  },
}));

function fakeContext(): vscode.ExtensionContext {
  const subscriptions: { dispose(): unknown }[] = [];
  const store = new Map<string, string>();
  const changed = new EventEmitter<{ key: string }>();
  return {
    subscriptions,
    extension: { id: "mistral-lsp.mistral-lsp" },
    secrets: {
      get: async (k: string) => store.get(k),
      store: async (k: string, v: string) => {
        store.set(k, v);
        changed.fire({ key: k });
      },
      delete: async (k: string) => {
        store.delete(k);
        changed.fire({ key: k });
      },
      onDidChange: changed.event,
    },
  } as unknown as vscode.ExtensionContext;
}

beforeEach(() => mock.reset());

describe("activation", () => {
  it("registers every contributed command and, untrusted, starts no server", async () => {
    mock.trusted = false;
    await activate(fakeContext());
    for (const { command } of manifest.contributes.commands) {
      expect(mock.commands.has(command), command).toBe(true);
    }
    expect(mock.statusItems[0]!.text).toBe("$(circle-slash) Mistral");
  });

  it("contributes no command id that the server registers itself", () => {
    const serverCommands = ["mistral.refactor", "mistral.explain", "mistral.accepted", "mistral.toggleCompletions"];
    const ours = manifest.contributes.commands.map((c) => c.command);
    expect(ours.filter((c) => serverCommands.includes(c))).toEqual([]);
  });

  it("activates on every supported language", () => {
    expect(manifest.activationEvents).toContain("onLanguage:python");
    expect(manifest.activationEvents).toContain("onLanguage:typescriptreact");
  });

  it("menu offers trust first in Restricted Mode, then the usual actions", () => {
    const untrusted = menuItems({ completionsEnabled: true, trusted: false, hasKey: false });
    expect(untrusted[0]!.command).toBe("workbench.trust.manage");
    const items = menuItems({ completionsEnabled: false, trusted: true, hasKey: true });
    expect(items.map((i) => i.command)).toEqual([
      "mistral.toggleCompletionsSetting",
      "mistral.setApiKey",
      "mistral.showEffectiveSettings",
      "mistral.showLogs",
      "mistral.restartServer",
      "mistral.openSettings",
    ]);
    expect(items[0]!.label).toContain("Enable");
    expect(items[1]!.description).toBe("a key is stored");
  });

  it("set API key stores it in secret storage and never in settings", async () => {
    const context = fakeContext();
    mock.trusted = false;
    await activate(context);
    mock.inputBoxAnswers.push("sk-secret-value");
    await mock.commands.get("mistral.setApiKey")!();
    expect(await context.secrets.get("mistral.apiKey")).toBe("sk-secret-value");
    expect(JSON.stringify(mock.settings)).not.toContain("sk-secret-value");
    expect((mock.inputBoxOptions[0] as { password: boolean }).password).toBe(true);
  });

  it("restarts the server when the stored key changes, and never logs the key", async () => {
    const context = fakeContext();
    mock.trusted = false;
    const log = new FakeLog("Mistral");
    const createOutputChannel = vi.spyOn((await import("./vscode.mock")).window, "createOutputChannel");
    createOutputChannel.mockReturnValue(log);
    await activate(context);
    mock.inputBoxAnswers.push("sk-another-secret");
    await mock.commands.get("mistral.setApiKey")!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const text = log.lines.join("\n");
    expect(text).toContain("The API key changed: restarting the server");
    expect(text).not.toContain("sk-another-secret");
    createOutputChannel.mockRestore();
  });
});

describe("completions switch", () => {
  it("is reflected in the status tooltip as the setting changes", async () => {
    const start = vi.spyOn(MistralServer.prototype, "start").mockResolvedValue(undefined);
    await activate(fakeContext());
    start.mockRestore();
    mock.set("global", "mistral.completion.enabled", false);
    expect(mock.statusItems[0]!.tooltip).toContain("Inline completions are off");
    mock.set("global", "mistral.completion.enabled", undefined);
    expect(mock.statusItems[0]!.tooltip).not.toContain("Inline completions are off");
  });
});

describe("toggle completions", () => {
  it("flips the user setting, or the workspace one when the workspace sets it", async () => {
    expect(toggleTarget({ defaultValue: true })).toEqual({ target: "global", value: false });
    expect(toggleTarget({ defaultValue: true, globalValue: false, workspaceValue: true })).toEqual({
      target: "workspace",
      value: false,
    });
    await toggleCompletions();
    expect(workspace.getConfiguration("mistral").get("completion.enabled")).toBe(false);
    expect(mock.settings.global["mistral.completion.enabled"]).toBe(false);
    await toggleCompletions();
    expect(workspace.getConfiguration("mistral").get("completion.enabled")).toBe(true);
  });
});
