/**
 * The Python extension's active interpreter, when that extension is installed. Typed by hand
 * (the subset of its public API we call) to avoid a dependency for two functions.
 */
import * as vscode from "vscode";

export const PYTHON_EXTENSION_ID = "ms-python.python";

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable: { uri?: vscode.Uri | undefined };
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
    resolveEnvironment(env: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

/** Path of the interpreter the Python extension uses for `resource`, or undefined. */
export async function pythonFromExtension(resource?: vscode.Uri): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    if (api?.environments) {
      const active = api.environments.getActiveEnvironmentPath(resource);
      const resolved = await api.environments.resolveEnvironment(active);
      const path = resolved?.executable.uri?.fsPath;
      if (path) {
        return path;
      }
    }
    const legacy = api?.settings?.getExecutionDetails(resource).execCommand;
    return legacy && legacy.length === 1 ? legacy[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls `listener` when the user selects another interpreter in the Python extension (the
 * server then restarts on it, as ruff-vscode does). Nothing when that extension is absent.
 */
export async function onDidChangeInterpreter(listener: () => void): Promise<vscode.Disposable | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    return api?.environments?.onDidChangeActiveEnvironmentPath?.(() => listener());
  } catch {
    return undefined;
  }
}
