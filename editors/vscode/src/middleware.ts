/**
 * Language client middleware. The server's "Mistral: Refactor selection…" code action carries
 * `mistral.refactor` with `[{uri, range}]` and no instruction: the instruction is the user's to
 * type, so the command is intercepted on its way to the server, an input box asks for it, and the
 * completed arguments go on. Cancelling the box cancels the refactor (nothing is sent).
 */
export const REFACTOR_COMMAND = "mistral.refactor";
export const EXPLAIN_COMMAND = "mistral.explain";

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface RefactorArgs {
  uri: string;
  range: LspRange;
  instruction?: string;
}

/** Asks the user for an instruction; undefined when they cancel. */
export type InstructionPrompt = (args: RefactorArgs) => Thenable<string | undefined> | Promise<string | undefined>;

type Next = (command: string, args: unknown[]) => unknown;

export function isRefactorArgs(value: unknown): value is RefactorArgs {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const v = value as Record<string, unknown>;
  return typeof v.uri === "string" && typeof v.range === "object" && v.range !== null;
}

export function needsInstruction(args: readonly unknown[]): boolean {
  const first = args[0];
  return isRefactorArgs(first) && (typeof first.instruction !== "string" || first.instruction.trim() === "");
}

/** `middleware.executeCommand`: fills in the refactor instruction, passes everything else on. */
export function createExecuteCommandMiddleware(prompt: InstructionPrompt) {
  return async (command: string, args: unknown[], next: Next): Promise<unknown> => {
    if (command !== REFACTOR_COMMAND || !needsInstruction(args)) {
      return next(command, args);
    }
    const first = args[0] as RefactorArgs;
    const instruction = (await prompt(first))?.trim();
    if (!instruction) {
      return undefined;
    }
    return next(command, [{ ...first, instruction }, ...args.slice(1)]);
  };
}
