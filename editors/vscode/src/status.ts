/**
 * `mistral/status` notifications → what the status bar item shows. The mapping is pure; the
 * small `StatusBar` class at the bottom is the only part that touches the editor.
 */
import * as vscode from "vscode";

import type { ConfigReport } from "./effective";

export const STATUS_NOTIFICATION = "mistral/status";

export const STATES = ["starting", "indexing", "ready", "offline", "error", "disabled"] as const;
export type ServerState = (typeof STATES)[number];

export interface ServerStatus {
  state: ServerState;
  message: string;
  /** Origin of the endpoint, e.g. "https://api.eu.mistral.ai". */
  endpoint: string;
  model: string;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Theme colour id for the item's background, when the state needs attention. */
  background?: "statusBarItem.errorBackground" | "statusBarItem.warningBackground";
}

const ICONS: Record<ServerState, string> = {
  starting: "$(loading~spin)",
  indexing: "$(sync~spin)",
  ready: "$(sparkle)",
  offline: "$(cloud-offline)",
  error: "$(error)",
  disabled: "$(circle-slash)",
};

const LABELS: Record<ServerState, string> = {
  starting: "starting",
  indexing: "indexing the repository",
  ready: "ready",
  offline: "endpoint unreachable",
  error: "error",
  disabled: "disabled",
};

/** Accepts whatever the server sent; anything malformed becomes an "error" status. */
export function parseStatus(params: unknown): ServerStatus {
  const p = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  const state = STATES.includes(p.state as ServerState) ? (p.state as ServerState) : "error";
  const str = (v: unknown): string => (typeof v === "string" ? v : "");
  const message =
    state === "error" && !STATES.includes(p.state as ServerState)
      ? `unexpected status from the server: ${JSON.stringify(params)}`
      : str(p.message);
  return { state, message, endpoint: str(p.endpoint), model: str(p.model) };
}

/** "https://mistral.internal.example:8443" → "mistral.internal.example:8443". */
export function endpointHost(endpoint: string): string {
  if (!endpoint) {
    return "";
  }
  try {
    return new URL(endpoint).host || endpoint;
  } catch {
    return endpoint;
  }
}

export const COMPLETIONS_OFF = "Inline completions are off (mistral.completion.enabled)";

export function statusView(status: ServerStatus, completionsEnabled = true, effective?: ConfigReport): StatusView {
  const lines = [`Mistral: ${LABELS[status.state]}`];
  if (!completionsEnabled && status.state !== "disabled") {
    lines.push(COMPLETIONS_OFF);
  }
  // The server's effective values and where each came from (not the editor's defaults).
  const host = endpointHost(status.endpoint || effective?.endpointUrl || "");
  if (host) {
    lines.push(`Endpoint: ${host}` + (effective ? ` (from the ${effective.endpointSource()})` : ""));
  }
  const model = status.model || effective?.valueOf("models.completion");
  if (model) {
    lines.push(`Model: ${model}` + (effective ? ` (from the ${effective.sourceOf("models.completion")})` : ""));
  }
  if (status.message) {
    lines.push(status.message);
  }
  lines.push("Click for the Mistral menu");
  const view: StatusView = { text: `${ICONS[status.state]} Mistral`, tooltip: lines.join("\n") };
  if (status.state === "error") {
    view.background = "statusBarItem.errorBackground";
  } else if (status.state === "offline") {
    view.background = "statusBarItem.warningBackground";
  }
  return view;
}

/** The one status bar item; clicking it opens the Mistral menu. */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private current: ServerStatus = { state: "starting", message: "", endpoint: "", model: "" };
  private completionsEnabled = true;
  private effective: ConfigReport | undefined;

  constructor(menuCommand: string) {
    this.item = vscode.window.createStatusBarItem("mistral.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "Mistral";
    this.item.command = menuCommand;
    this.render();
    this.item.show();
  }

  get status(): ServerStatus {
    return this.current;
  }

  /** Merge a partial update: the server's fields win, missing ones keep their last value. */
  update(status: Partial<ServerStatus> & { state: ServerState }): void {
    this.current = {
      state: status.state,
      message: status.message ?? "",
      endpoint: status.endpoint || this.current.endpoint,
      model: status.model || this.current.model,
    };
    this.render();
  }

  /** The user's switch, shown in the tooltip (the server's state says whether it is running). */
  setCompletionsEnabled(enabled: boolean): void {
    this.completionsEnabled = enabled;
    this.render();
  }

  /** The server's `mistral.configReport`, shown next to the endpoint and model. */
  setEffective(report: ConfigReport | undefined): void {
    this.effective = report;
    this.render();
  }

  get effectiveSettings(): ConfigReport | undefined {
    return this.effective;
  }

  private render(): void {
    const view = statusView(this.current, this.completionsEnabled, this.effective);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
