/** "Mistral: Explain selection": the server's Markdown answer, shown as a rendered preview. */
import * as vscode from "vscode";

export async function showMarkdown(markdown: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content: markdown });
  try {
    await vscode.commands.executeCommand("markdown.showPreviewToSide", document.uri);
  } catch {
    // No Markdown extension (it is built in, but can be disabled): show the text itself.
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }
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
