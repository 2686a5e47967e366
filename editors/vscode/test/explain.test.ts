import { beforeEach, describe, expect, it } from "vitest";

import { escapeHtml, explanationText, showMarkdown } from "../src/explain";
import { commands, mock } from "./vscode.mock";

beforeEach(() => {
  for (const panel of mock.panels) {
    panel.dispose();
  }
  mock.reset();
});

describe("explanation panel", () => {
  it("renders through VS Code's Markdown renderer into one reused, script-less panel", async () => {
    commands.registerCommand("markdown.api.render", (md: unknown) => `<h2>${String(md).slice(3)}</h2>`);
    await showMarkdown("## Adds two numbers");
    await showMarkdown("## Second answer");
    expect(mock.panels).toHaveLength(1);
    const panel = mock.panels[0]!;
    expect(panel.title).toBe("Mistral: Explanation");
    expect(panel.options).toMatchObject({ enableScripts: false });
    expect(panel.revealed).toBe(1);
    expect(panel.webview.html).toContain("<h2>Second answer</h2>");
    expect(panel.webview.html).toContain("default-src 'none'");
    expect(panel.webview.html).not.toMatch(/script-src|img-src https/);
  });

  it("falls back to escaped text without the Markdown extension, and reopens after close", async () => {
    await showMarkdown("<img src=x onerror=alert(1)> & more");
    const first = mock.panels[0]!;
    expect(first.webview.html).toContain("<pre>&lt;img src=x onerror=alert(1)&gt; &amp; more</pre>");
    first.dispose();
    await showMarkdown("again");
    expect(mock.panels).toHaveLength(2);
  });

  it("turns any answer into text", () => {
    expect(explanationText("# md")).toBe("# md");
    expect(explanationText({ kind: "markdown", value: "v" })).toBe("v");
    expect(explanationText({ a: 1 })).toContain('"a": 1');
    expect(escapeHtml(`"'`)).toBe("&quot;&#39;");
  });
});
