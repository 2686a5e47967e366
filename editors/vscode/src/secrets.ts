/**
 * The API key lives in VS Code's SecretStorage and reaches the server only through its
 * environment, in the variable named by `mistral.endpoint.apiKeyEnv`. It is never written to
 * settings, never part of initializationOptions, never logged.
 */
import type * as vscode from "vscode";

export const SECRET_KEY = "mistral.apiKey";

/** A POSIX-ish environment variable name; anything else is refused rather than guessed at. */
export function isValidEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(): Thenable<string | undefined> {
    return this.secrets.get(SECRET_KEY);
  }

  async set(key: string): Promise<void> {
    await this.secrets.store(SECRET_KEY, key.trim());
  }

  async clear(): Promise<void> {
    await this.secrets.delete(SECRET_KEY);
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key === SECRET_KEY) {
        listener();
      }
    });
  }
}

/**
 * The server's environment: ours, plus the stored key (when there is one) under `envName`.
 * Without a stored key the inherited environment is left alone, so a key the user exported
 * in their shell still works.
 */
export function serverEnvironment(
  base: NodeJS.ProcessEnv,
  envName: string,
  key: string | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  if (key && isValidEnvName(envName)) {
    env[envName] = key;
  }
  return env;
}
