import { describe, expect, it, vi } from "vitest";

import { createExecuteCommandMiddleware, needsInstruction } from "../src/middleware";

const range = { start: { line: 1, character: 0 }, end: { line: 3, character: 4 } };

describe("refactor instruction middleware", () => {
  it("asks for the instruction and forwards it", async () => {
    const prompt = vi.fn(async () => "  add type hints ");
    const next = vi.fn((_c: string, _a: unknown[]) => "edit");
    const mw = createExecuteCommandMiddleware(prompt);
    const result = await mw("mistral.refactor", [{ uri: "file:///a.py", range }], next);
    expect(result).toBe("edit");
    expect(prompt).toHaveBeenCalledOnce();
    expect(next).toHaveBeenCalledWith("mistral.refactor", [{ uri: "file:///a.py", range, instruction: "add type hints" }]);
  });

  it("sends nothing when the user cancels", async () => {
    const next = vi.fn();
    const mw = createExecuteCommandMiddleware(async () => undefined);
    expect(await mw("mistral.refactor", [{ uri: "file:///a.py", range }], next)).toBeUndefined();
    expect(next).not.toHaveBeenCalled();
  });

  it("leaves a refactor that already has an instruction alone", async () => {
    const prompt = vi.fn();
    const next = vi.fn(() => 1);
    const args = [{ uri: "file:///a.py", range, instruction: "inline this" }];
    await createExecuteCommandMiddleware(prompt)("mistral.refactor", args, next);
    expect(prompt).not.toHaveBeenCalled();
    expect(next).toHaveBeenCalledWith("mistral.refactor", args);
  });

  it("passes other commands through untouched", async () => {
    const prompt = vi.fn();
    const next = vi.fn(() => "ok");
    const mw = createExecuteCommandMiddleware(prompt);
    expect(await mw("mistral.accepted", [{ id: 3 }], next)).toBe("ok");
    expect(await mw("mistral.explain", [{ uri: "file:///a.py", range }], next)).toBe("ok");
    expect(prompt).not.toHaveBeenCalled();
  });

  it("recognises a missing or blank instruction", () => {
    expect(needsInstruction([{ uri: "u", range, instruction: " " }])).toBe(true);
    expect(needsInstruction([{ uri: "u", range }])).toBe(true);
    expect(needsInstruction(["not args"])).toBe(false);
    expect(needsInstruction([])).toBe(false);
  });
});
