import { beforeEach, describe, expect, it } from "vitest";

import { endpointHost, parseStatus, StatusBar, statusView, STATES } from "../src/status";
import { mock } from "./vscode.mock";

beforeEach(() => mock.reset());

const status = (state: string, extra: Record<string, string> = {}) =>
  parseStatus({ state, message: "", endpoint: "https://api.eu.mistral.ai", model: "codestral-latest", ...extra });

describe("status mapping", () => {
  it("gives every state its own icon and always says Mistral", () => {
    const texts = STATES.map((s) => statusView(status(s)).text);
    expect(new Set(texts).size).toBe(STATES.length);
    for (const text of texts) {
      expect(text).toMatch(/^\$\([a-z~-]+\) Mistral$/);
    }
    expect(statusView(status("ready")).text).toBe("$(sparkle) Mistral");
    expect(statusView(status("starting")).text).toBe("$(loading~spin) Mistral");
    expect(statusView(status("offline")).text).toBe("$(cloud-offline) Mistral");
  });

  it("puts host, model and message in the tooltip", () => {
    const view = statusView(
      status("offline", { endpoint: "https://mistral.internal.example:8443", message: "connection refused" }),
    );
    expect(view.tooltip).toContain("Endpoint: mistral.internal.example:8443");
    expect(view.tooltip).not.toContain("https://");
    expect(view.tooltip).toContain("Model: codestral-latest");
    expect(view.tooltip).toContain("connection refused");
    expect(view.background).toBe("statusBarItem.warningBackground");
  });

  it("colours errors and leaves normal states alone", () => {
    expect(statusView(status("error")).background).toBe("statusBarItem.errorBackground");
    expect(statusView(status("ready")).background).toBeUndefined();
  });

  it("turns a malformed notification into a visible error", () => {
    const parsed = parseStatus({ state: "exploded", endpoint: 3 });
    expect(parsed.state).toBe("error");
    expect(parsed.endpoint).toBe("");
    expect(parsed.message).toContain("exploded");
    expect(parseStatus(null).state).toBe("error");
  });

  it("keeps an unparsable endpoint as it came", () => {
    expect(endpointHost("not a url")).toBe("not a url");
    expect(endpointHost("")).toBe("");
    expect(endpointHost("http://127.0.0.1:8080")).toBe("127.0.0.1:8080");
  });
});

describe("StatusBar", () => {
  it("shows an item that opens the menu and follows updates", () => {
    const bar = new StatusBar("mistral.showMenu");
    const item = mock.statusItems[0]!;
    expect(item.visible).toBe(true);
    expect(item.command).toBe("mistral.showMenu");
    bar.update(status("indexing", { message: "120 files" }));
    expect(item.text).toBe("$(sync~spin) Mistral");
    expect(item.tooltip).toContain("120 files");
    bar.update({ state: "error", message: "boom" });
    expect(item.backgroundColor?.id).toBe("statusBarItem.errorBackground");
    // A local update without endpoint keeps the last one the server sent.
    expect(item.tooltip).toContain("api.eu.mistral.ai");
  });

  it("says in the tooltip when the user turned completions off", () => {
    const bar = new StatusBar("mistral.showMenu");
    const item = mock.statusItems[0]!;
    bar.update(status("ready"));
    expect(item.tooltip).not.toContain("Inline completions are off");
    bar.setCompletionsEnabled(false);
    expect(item.tooltip).toContain("Inline completions are off");
    expect(item.text).toBe("$(sparkle) Mistral");
    bar.update(status("disabled"));
    expect(item.tooltip).not.toContain("Inline completions are off");
  });
});
