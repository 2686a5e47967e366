/**
 * Settings → the object the server receives (initializationOptions, didChangeConfiguration,
 * workspace/configuration). Pure: no `vscode` import, so it is tested without an editor.
 *
 * The list of keys is the manifest's `contributes.configuration` — one source of truth that a
 * Python test compares with the server's settings model.
 *
 * Only values the user set explicitly are sent. VS Code's defaults equal the server's, and sending
 * them would shadow the lower configuration layers (the user's config.toml and the workspace's
 * .mistral-lsp.toml), which the server places below the editor's settings.
 */
import manifest from "../package.json";

export const SECTION = "mistral";

/** Extension-only settings: how to start the server. Never sent to it. */
export const CLIENT_ONLY_PREFIX = "server.";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type SettingsTree = { [key: string]: JsonValue };

interface PropertySchema {
  type: string;
  default: JsonValue;
  scope?: string;
  enum?: string[];
}

/** What `WorkspaceConfiguration.inspect` tells us about one key (the fields we use). */
export interface Inspected<T = unknown> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** The slice of `vscode.WorkspaceConfiguration` (section "mistral") that this module needs. */
export interface ConfigurationLike {
  get<T>(key: string): T | undefined;
  inspect<T>(key: string): Inspected<T> | undefined;
}

const properties = manifest.contributes.configuration.properties as Record<string, PropertySchema>;

/** Every contributed key without the "mistral." prefix, e.g. "endpoint.apiKeyEnv". */
export function allKeys(): string[] {
  return Object.keys(properties).map((k) => k.slice(SECTION.length + 1));
}

/** Keys the server understands (all but `server.*`). */
export function serverKeys(): string[] {
  return allKeys().filter((k) => !k.startsWith(CLIENT_ONLY_PREFIX));
}

export function schemaOf(key: string): PropertySchema {
  const schema = properties[`${SECTION}.${key}`];
  if (!schema) {
    throw new Error(`unknown setting ${SECTION}.${key}`);
  }
  return schema;
}

/** Machine-scoped keys are only honoured from user settings, never from a workspace. */
export function isMachineScoped(key: string): boolean {
  return schemaOf(key).scope === "machine";
}

/** Whether the user set `key` anywhere VS Code would honour it for this scope. */
export function isExplicit(config: ConfigurationLike, key: string): boolean {
  const info = config.inspect(key);
  if (!info) {
    return false;
  }
  if (isMachineScoped(key)) {
    return info.globalValue !== undefined;
  }
  return (
    info.globalValue !== undefined ||
    info.workspaceValue !== undefined ||
    info.workspaceFolderValue !== undefined
  );
}

function setPath(tree: SettingsTree, dotted: string, value: JsonValue): void {
  const parts = dotted.split(".");
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      const created: SettingsTree = {};
      node[part] = created;
      node = created;
    } else {
      node = next;
    }
  }
  node[parts[parts.length - 1]!] = value;
}

export interface BuildOptions {
  /** Send every key with its effective value, defaults included (diagnostics, tests). */
  includeDefaults?: boolean;
  /** Values forced on top, e.g. the variable the stored API key is handed over in. */
  overrides?: Record<string, JsonValue>;
}

/**
 * The nested camelCase object the server expects, without the "mistral" prefix:
 * `{endpoint: {apiKeyEnv: "..."}, completion: {enabled: false}}`.
 */
export function buildServerSettings(config: ConfigurationLike, options: BuildOptions = {}): SettingsTree {
  // Every section is present, even empty: the server merges an update into its
  // initializationOptions section by section, so an absent section would keep stale values.
  const tree: SettingsTree = {};
  for (const key of serverKeys()) {
    tree[key.split(".")[0]!] = {};
  }
  for (const key of serverKeys()) {
    if (!options.includeDefaults && !isExplicit(config, key)) {
      continue;
    }
    const value = isMachineScoped(key) ? machineValue(config, key) : config.get<JsonValue>(key);
    if (value !== undefined) {
      setPath(tree, key, value);
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    setPath(tree, key, value);
  }
  return tree;
}

function machineValue(config: ConfigurationLike, key: string): JsonValue | undefined {
  const info = config.inspect<JsonValue>(key);
  return info?.globalValue ?? info?.defaultValue ?? (schemaOf(key).default as JsonValue);
}

/** Settings whose change needs a new server process (command line or environment). */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects(`${SECTION}.server`) || affects(`${SECTION}.endpoint.apiKeyEnv`);
}
