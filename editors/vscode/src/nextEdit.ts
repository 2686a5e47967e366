/**
 * Next-edit suggestions with stable VS Code API only. The server answers
 * `textDocument/copilotInlineEdit`; an edit on the cursor line becomes an inline completion, an
 * edit elsewhere a decoration with a gutter marker and a status-bar hint: Tab jumps there, Tab
 * again applies it, Esc dismisses it. The decision is in `plan` (pure, unit-tested).
 */
import * as vscode from "vscode";

export const METHOD = "textDocument/copilotInlineEdit";
export const DISMISSED = "mistral.nextEditDismissed";
export const JUMP_OR_APPLY = "mistral.nextEdit.jumpOrApply";
export const DISMISS = "mistral.nextEdit.dismiss";
const CONTEXT_KEY = "mistral.nextEditVisible";

export interface Pos {
  line: number;
  character: number;
}
export interface WireEdit {
  range: { start: Pos; end: Pos };
  text: string;
  textDocument: { uri: string; version: number };
  command?: { title: string; command: string; arguments?: unknown[] };
}

export type Plan = { kind: "inline" } | { kind: "jump"; to: Pos } | { kind: "apply" } | { kind: "none" };

/** What Tab does (or how the edit is shown) given the cursor and the document version. */
export function plan(edit: WireEdit | undefined, cursor: Pos, version: number, typing = false): Plan {
  if (!edit || edit.textDocument.version !== version) {
    return { kind: "none" };
  }
  const onCursorLine = edit.range.start.line === cursor.line && edit.range.end.line === cursor.line;
  if (typing && onCursorLine) {
    return { kind: "inline" };
  }
  return onCursorLine ? { kind: "apply" } : { kind: "jump", to: edit.range.start };
}

export interface Requester {
  sendRequest(method: string, params: unknown): Promise<unknown>;
}

/** Shows the server's next edit; one per editor, cleared by any change of the document. */
export class NextEditController implements vscode.Disposable {
  private edit: WireEdit | undefined;
  private readonly deletion = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor("diffEditor.removedTextBackground"),
  });
  private readonly insertion = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor("editorGhostText.foreground") },
    overviewRulerColor: new vscode.ThemeColor("editorGutter.addedBackground"),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly hint = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 99);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly client: () => Requester | undefined, private readonly delayMs = 150) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) {
          this.clear();
          this.schedule();
        }
      }),
      vscode.commands.registerCommand(JUMP_OR_APPLY, () => this.jumpOrApply()),
      vscode.commands.registerCommand(DISMISS, () => this.clear(true)),
      vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, {
        provideInlineCompletionItems: (document, position) => this.inline(document, position),
      }),
    );
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.request(), this.delayMs);
  }

  async request(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.client();
    if (!editor || !client) return;
    const doc = editor.document;
    const cursor = editor.selection.active;
    const result = (await client.sendRequest(METHOD, {
      textDocument: { uri: doc.uri.toString(), version: doc.version },
      position: { line: cursor.line, character: cursor.character },
    })) as { edits?: WireEdit[] } | null;
    const edit = result?.edits?.[0];
    if (!edit || edit.textDocument.version !== doc.version) return;
    this.show(editor, edit);
  }

  private show(editor: vscode.TextEditor, edit: WireEdit): void {
    this.edit = edit;
    const range = toRange(edit);
    editor.setDecorations(this.deletion, range.isEmpty ? [] : [range]);
    editor.setDecorations(this.insertion, [
      { range: new vscode.Range(range.end, range.end), renderOptions: { after: { contentText: edit.text.replace(/\n/g, "⏎") } } },
    ]);
    this.hint.text = `$(arrow-right) Mistral: next edit on line ${edit.range.start.line + 1} (Tab)`;
    this.hint.show();
    void vscode.commands.executeCommand("setContext", CONTEXT_KEY, true);
  }

  clear(dismissed = false): void {
    const edit = this.edit;
    this.edit = undefined;
    for (const editor of vscode.window.visibleTextEditors) {
      editor.setDecorations(this.deletion, []);
      editor.setDecorations(this.insertion, []);
    }
    this.hint.hide();
    void vscode.commands.executeCommand("setContext", CONTEXT_KEY, false);
    if (dismissed && edit?.command) {
      void this.client()?.sendRequest("workspace/executeCommand", { command: DISMISSED, arguments: edit.command.arguments ?? [] });
    }
  }

  async jumpOrApply(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !this.edit) return;
    const cursor = editor.selection.active;
    const next = plan(this.edit, { line: cursor.line, character: cursor.character }, editor.document.version);
    if (next.kind === "jump") {
      const at = new vscode.Position(next.to.line, next.to.character);
      editor.selection = new vscode.Selection(at, at);
      editor.revealRange(new vscode.Range(at, at));
    } else if (next.kind === "apply") {
      const edit = this.edit;
      this.clear();
      await editor.edit((b) => b.replace(toRange(edit), edit.text));
      if (edit.command) await vscode.commands.executeCommand(edit.command.command, ...(edit.command.arguments ?? []));
    } else {
      this.clear();
    }
  }

  private inline(document: vscode.TextDocument, position: vscode.Position): vscode.InlineCompletionItem[] {
    const edit = this.edit;
    const next = plan(edit, { line: position.line, character: position.character }, document.version, true);
    if (!edit || next.kind !== "inline") return [];
    const item = new vscode.InlineCompletionItem(edit.text, toRange(edit));
    if (edit.command) item.command = { title: edit.command.title, command: edit.command.command, arguments: edit.command.arguments };
    return [item];
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.clear();
    for (const d of [...this.disposables, this.deletion, this.insertion, this.hint]) d.dispose();
  }
}

function toRange(edit: WireEdit): vscode.Range {
  const { start, end } = edit.range;
  return new vscode.Range(start.line, start.character, end.line, end.character);
}
