/**
 * "Mistral: Explain": the server's Markdown answer in a read-only panel beside the editor.
 *
 * A webview rather than an untitled Markdown document: an untitled document is dirty and asks
 * to be saved when closed. The Markdown is rendered by VS Code's own Markdown extension; the
 * page allows no script and loads nothing from the network (the text comes from a model).
 */
import * as vscode from "vscode";

const VIEW_TYPE = "mistral.explanation";
let panel: vscode.WebviewPanel | undefined;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The page around rendered Markdown: strict CSP, theme colours. */
export function explanationPage(bodyHtml: string, cspSource: string): string {
  const csp = `default-src 'none'; style-src ${cspSource} 'unsafe-inline'; img-src data:; font-src ${cspSource};`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); line-height: 1.5; padding: 0 1em; }
  pre, code { font-family: var(--vscode-editor-font-family); }
  pre { background: var(--vscode-textCodeBlock-background); padding: 0.6em; overflow-x: auto; }
</style>
</head>
<body>
${bodyHtml}
</body>
</html>`;
}

async function render(markdown: string): Promise<string> {
  try {
    const html = await vscode.commands.executeCommand<string>("markdown.api.render", markdown);
    if (typeof html === "string") {
      return html;
    }
  } catch {
    // The built-in Markdown extension can be disabled: fall back to the plain text.
  }
  return `<pre>${escapeHtml(markdown)}</pre>`;
}

export async function showMarkdown(markdown: string): Promise<void> {
  const body = await render(markdown);
  if (!panel) {
    panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      "Mistral: Explanation",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: false, enableFindWidget: true, localResourceRoots: [] },
    );
    panel.onDidDispose(() => (panel = undefined));
  } else {
    panel.reveal(vscode.ViewColumn.Beside, true);
  }
  panel.webview.html = explanationPage(body, panel.webview.cspSource);
}

/** The server answers a string; anything else is shown as a fenced JSON block, not dropped. */
export function explanationText(result: unknown): string {
  if (typeof result === "string") {
    return result;
  }
  if (typeof result === "object" && result !== null && typeof (result as { value?: unknown }).value === "string") {
    return (result as { value: string }).value;
  }
  return "```json\n" + JSON.stringify(result, null, 2) + "\n```";
}
