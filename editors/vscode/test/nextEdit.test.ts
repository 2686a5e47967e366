import { describe, expect, it, vi } from "vitest";

vi.mock("vscode", () => ({}));

import { plan, type WireEdit } from "../src/nextEdit";

const edit = (line: number, version = 3): WireEdit => ({
  range: { start: { line, character: 11 }, end: { line, character: 16 } },
  text: "w",
  textDocument: { uri: "file:///a.py", version },
  command: { title: "accepted", command: "mistral.nextEditAccepted", arguments: ["id", "python"] },
});

describe("next edit plan", () => {
  it("jumps to an edit on another line, then applies it from its line", () => {
    expect(plan(edit(5), { line: 0, character: 3 }, 3)).toEqual({ kind: "jump", to: { line: 5, character: 11 } });
    expect(plan(edit(5), { line: 5, character: 11 }, 3)).toEqual({ kind: "apply" });
  });

  it("is an inline completion while typing on the edit's line, and nothing elsewhere", () => {
    expect(plan(edit(2), { line: 2, character: 0 }, 3, true)).toEqual({ kind: "inline" });
    expect(plan(edit(2), { line: 4, character: 0 }, 3, true).kind).toBe("jump");
  });

  it("drops an edit computed for another version of the document", () => {
    expect(plan(edit(5, 2), { line: 0, character: 0 }, 3)).toEqual({ kind: "none" });
    expect(plan(undefined, { line: 0, character: 0 }, 3)).toEqual({ kind: "none" });
  });
});
