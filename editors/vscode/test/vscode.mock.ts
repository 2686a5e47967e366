/**
 * A fake of the `vscode` module's edges, enough for the extension's units: configuration with
 * user and workspace layers, workspace trust, a status bar item, an output channel, commands,
 * input boxes. Tests import the control surface (`mock`) from this file directly; the code under
 * test imports it as "vscode" (vitest alias).
 */
type Listener<T> = (value: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) {
      l(value);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static parse(value: string): Uri {
    const at = value.indexOf(":");
    return new Uri(value.slice(0, at), value.slice(at + 1).replace(/^\/\//, ""));
  }
  static file(path: string): Uri {
    return new Uri("file", path);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}

export class MarkdownString {
  constructor(public value = "") {}
}

export enum OverviewRulerLane {
  Left = 1,
  Center = 2,
  Right = 4,
  Full = 7,
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}
export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

// ---- state the tests control ------------------------------------------------------------

interface Layered {
  global: Record<string, unknown>;
  workspace: Record<string, unknown>;
}

const manifestDefaults = (): Record<string, unknown> => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const manifest = require("../package.json") as {
    contributes: { configuration: { properties: Record<string, { default: unknown }> } };
  };
  return Object.fromEntries(
    Object.entries(manifest.contributes.configuration.properties).map(([k, v]) => [k, v.default]),
  );
};

export class FakeStatusBarItem {
  text = "";
  tooltip: string | MarkdownString | undefined;
  command: string | undefined;
  name: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible = false;
  constructor(
    readonly id: string,
    readonly alignment: StatusBarAlignment,
    readonly priority: number,
  ) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

export class FakeLog {
  readonly lines: string[] = [];
  shown = false;
  constructor(readonly name: string) {}
  private add(level: string, text: string): void {
    this.lines.push(`[${level}] ${text}`);
  }
  trace(text: string): void {
    this.add("trace", text);
  }
  debug(text: string): void {
    this.add("debug", text);
  }
  info(text: string): void {
    this.add("info", text);
  }
  warn(text: string): void {
    this.add("warn", text);
  }
  error(text: string | Error): void {
    this.add("error", String(text));
  }
  append(text: string): void {
    this.add("raw", text);
  }
  appendLine(text: string): void {
    this.add("raw", text);
  }
  replace(text: string): void {
    this.add("raw", text);
  }
  clear(): void {
    this.lines.length = 0;
  }
  show(): void {
    this.shown = true;
  }
  hide(): void {
    this.shown = false;
  }
  dispose(): void {}
  onDidChangeLogLevel = new EventEmitter<number>().event;
  logLevel = 2;
}

export class FakeWebviewPanel {
  disposed = false;
  revealed = 0;
  private disposeListeners: (() => void)[] = [];
  readonly webview = { html: "", cspSource: "vscode-resource:" };
  constructor(
    readonly viewType: string,
    readonly title: string,
    readonly options: unknown,
  ) {}
  reveal(): void {
    this.revealed++;
  }
  onDidDispose(listener: () => void) {
    this.disposeListeners.push(listener);
    return new Disposable();
  }
  dispose(): void {
    this.disposed = true;
    this.disposeListeners.forEach((l) => l());
  }
}

export const mock = {
  panels: [] as FakeWebviewPanel[],
  settings: { global: {}, workspace: {} } as Layered,
  trusted: true,
  statusItems: [] as FakeStatusBarItem[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { command: string; args: unknown[] }[],
  inputBoxAnswers: [] as (string | undefined)[],
  inputBoxOptions: [] as unknown[],
  messages: [] as { level: string; text: string; actions: string[] }[],
  extensions: new Map<string, unknown>(),
  grantTrust: new EventEmitter<void>(),
  configurationChanged: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),

  reset(): void {
    this.settings = { global: {}, workspace: {} };
    this.trusted = true;
    this.statusItems = [];
    this.commands.clear();
    this.executed = [];
    this.inputBoxAnswers = [];
    this.inputBoxOptions = [];
    this.messages = [];
    this.extensions.clear();
    this.panels = [];
    this.grantTrust = new EventEmitter<void>();
    this.configurationChanged = new EventEmitter();
  },

  /** Changes settings the way the Settings editor would, firing onDidChangeConfiguration. */
  set(layer: keyof Layered, key: string, value: unknown): void {
    if (value === undefined) {
      delete this.settings[layer][key];
    } else {
      this.settings[layer][key] = value;
    }
    this.configurationChanged.fire({
      affectsConfiguration: (section: string) => key === section || key.startsWith(`${section}.`),
    });
  },
};

function configuration(section: string | undefined) {
  const defaults = manifestDefaults();
  const full = (key: string) => (section ? `${section}.${key}` : key);
  return {
    get<T>(key: string, fallback?: T): T | undefined {
      const k = full(key);
      for (const layer of [mock.settings.workspace, mock.settings.global, defaults]) {
        if (k in layer) {
          return layer[k] as T;
        }
      }
      return fallback;
    },
    has(key: string): boolean {
      return full(key) in defaults;
    },
    inspect<T>(key: string) {
      const k = full(key);
      if (!(k in defaults)) {
        return undefined;
      }
      return {
        key: k,
        defaultValue: defaults[k] as T,
        globalValue: mock.settings.global[k] as T | undefined,
        workspaceValue: mock.settings.workspace[k] as T | undefined,
        workspaceFolderValue: undefined,
      };
    },
    async update(key: string, value: unknown, target: ConfigurationTarget | boolean): Promise<void> {
      const layer = target === ConfigurationTarget.Workspace ? "workspace" : "global";
      mock.set(layer, full(key), value);
    },
  };
}

export const workspace = {
  get isTrusted(): boolean {
    return mock.trusted;
  },
  workspaceFolders: undefined,
  getConfiguration: (section?: string) => configuration(section),
  onDidGrantWorkspaceTrust: (listener: () => unknown) => mock.grantTrust.event(listener),
  onDidChangeTextDocument: (_listener: unknown): Disposable => new Disposable(() => undefined),
  onDidChangeConfiguration: (listener: Listener<{ affectsConfiguration(section: string): boolean }>) =>
    mock.configurationChanged.event(listener),
  applyEdit: async () => true,
  openTextDocument: async (options: { content: string; language: string }) => ({
    uri: Uri.parse("untitled:explanation.md"),
    ...options,
  }),
};

export const window = {
  activeTextEditor: undefined as unknown,
  visibleTextEditors: [] as unknown[],
  createTextEditorDecorationType: (_options: unknown) => new Disposable(() => undefined),
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority: number): FakeStatusBarItem {
    const item = new FakeStatusBarItem(id, alignment, priority);
    mock.statusItems.push(item);
    return item;
  },
  createOutputChannel: (name: string) => new FakeLog(name),
  async showInputBox(options: unknown): Promise<string | undefined> {
    mock.inputBoxOptions.push(options);
    return mock.inputBoxAnswers.shift();
  },
  async showErrorMessage(text: string, ...actions: string[]) {
    mock.messages.push({ level: "error", text, actions });
    return undefined;
  },
  async showWarningMessage(text: string, ...actions: string[]) {
    mock.messages.push({ level: "warning", text, actions });
    return undefined;
  },
  async showInformationMessage(text: string, ...actions: string[]) {
    mock.messages.push({ level: "info", text, actions });
    return undefined;
  },
  setStatusBarMessage: () => new Disposable(),
  async showQuickPick<T>(items: T[]): Promise<T | undefined> {
    return items[0];
  },
  async withProgress<R>(_options: unknown, task: () => Promise<R>): Promise<R> {
    return task();
  },
  createTerminal: () => ({ show() {}, sendText() {}, dispose() {} }),
  showTextDocument: async () => undefined,
  createWebviewPanel(viewType: string, title: string, _column: unknown, options: unknown): FakeWebviewPanel {
    const panel = new FakeWebviewPanel(viewType, title, options);
    mock.panels.push(panel);
    return panel;
  },
};

export const commands = {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
    if (mock.commands.has(id)) {
      throw new Error(`command '${id}' already exists`);
    }
    mock.commands.set(id, handler);
    return new Disposable(() => mock.commands.delete(id));
  },
  async executeCommand(command: string, ...args: unknown[]): Promise<unknown> {
    mock.executed.push({ command, args });
    return mock.commands.get(command)?.(...args);
  },
};

export const extensions = {
  getExtension: (id: string) => mock.extensions.get(id),
};

export const languages = {
  registerInlineCompletionItemProvider: (_selector: unknown, _provider: unknown): Disposable =>
    new Disposable(() => undefined),
};
export const env: { appName: string; remoteName: string | undefined; uiKind: number } = {
  appName: "vitest",
  remoteName: undefined,
  uiKind: 1,
};
export enum UIKind {
  Desktop = 1,
  Web = 2,
}
export const version = "1.91.0";
