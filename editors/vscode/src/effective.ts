/**
 * The settings the server actually uses, as `mistral.configReport` reports them (the rows of
 * `mistral-lsp config`: value and layer of every key, whether a key is set — never the key), and
 * which settings layer VS Code reads our machine-scoped settings from. Pure: no `vscode` import.
 */
export const CONFIG_REPORT_COMMAND = "mistral.configReport";

const LAYERS: Record<string, string> = {
  default: "built-in default",
  user: "user config file",
  workspace: "workspace .mistral-lsp.toml",
  editor: "VS Code settings",
  policy: "administrator policy",
};

export function layerName(source: string): string {
  return LAYERS[source] ?? source;
}

export interface Row {
  value: unknown;
  source: string;
}

export class ConfigReport {
  constructor(
    readonly rows: Record<string, Row>,
    readonly endpointUrl: string,
    readonly key: { set: boolean; from: string | null },
    readonly policyFiles: string[],
  ) {}

  valueOf(key: string): string {
    const value = this.rows[key]?.value;
    return typeof value === "string" ? value : JSON.stringify(value ?? null);
  }

  sourceOf(key: string): string {
    return layerName(this.rows[key]?.source ?? "default");
  }

  /** Where the endpoint came from: the layer of the URL or preset, whichever is higher. */
  endpointSource(): string {
    const order = ["policy", "editor", "workspace", "user", "default"];
    const layers = ["endpoint.url", "endpoint.preset"].map((k) => this.rows[k]?.source ?? "default");
    return layerName(order.find((l) => layers.includes(l)) ?? "default");
  }
}

/** Whatever the server answered; undefined when it is not a report (an older server). */
export function parseConfigReport(raw: unknown): ConfigReport | undefined {
  if (typeof raw !== "object" || raw === null) {
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  const settings = r.settings;
  if (typeof settings !== "object" || settings === null) {
    return undefined;
  }
  const rows: Record<string, Row> = {};
  for (const [key, row] of Object.entries(settings as Record<string, unknown>)) {
    if (typeof row === "object" && row !== null && "source" in row) {
      const { value, source } = row as { value: unknown; source: unknown };
      rows[key] = { value, source: String(source) };
    }
  }
  const keyRow = (r["endpoint.api_key"] ?? {}) as { set?: unknown; from?: unknown };
  const key = { set: keyRow.set === true, from: typeof keyRow.from === "string" ? keyRow.from : null };
  const policies = Array.isArray(r.policy_files) ? r.policy_files.map(String) : [];
  return new ConfigReport(rows, typeof r.endpoint_url === "string" ? r.endpoint_url : "", key, policies);
}

/**
 * Which settings layer VS Code reads the extension's machine-scoped settings from (endpoint,
 * privacy, server). In a remote window — code-server, Remote-SSH, WSL, containers — VS Code
 * reads them from the remote's settings and ignores the same keys in User settings.
 */
export function settingsLayerNote(remote: boolean): string {
  return remote
    ? "This is a remote window: VS Code reads Mistral's machine settings (mistral.endpoint.*, mistral.privacy.*, " +
        "mistral.server.*) from the Remote settings tab (the machine's settings.json) and ignores them in User settings."
    : "Mistral's machine settings (mistral.endpoint.*, mistral.privacy.*, mistral.server.*) are read from User settings; " +
        "a workspace cannot set them.";
}

/** The report as Markdown, for "Mistral: Show effective settings". */
export function reportMarkdown(report: ConfigReport, remote: boolean, launch: string): string {
  const lines = [
    "# Mistral: effective settings",
    "",
    "What the running server uses, and the layer each value came from (lowest to highest: built-in " +
      "default, user config file, workspace .mistral-lsp.toml, VS Code settings, administrator policy).",
    "",
    `- **Server:** \`${launch}\``,
    `- **Endpoint:** ${report.endpointUrl || "(none)"} — from the ${report.endpointSource()}`,
    `- **API key:** ${report.key.set ? `set (${report.key.from})` : "not set"}`,
    `- **Policy files:** ${report.policyFiles.length ? report.policyFiles.join(", ") : "none"}`,
    `- **Settings layer:** ${settingsLayerNote(remote)}`,
    "",
    "| setting | value | from |",
    "|---|---|---|",
  ];
  for (const [key, row] of Object.entries(report.rows)) {
    const value = JSON.stringify(row.value).replace(/\|/g, "\\|");
    lines.push(`| \`${key}\` | \`${value}\` | ${layerName(row.source)} |`);
  }
  return lines.join("\n") + "\n";
}
