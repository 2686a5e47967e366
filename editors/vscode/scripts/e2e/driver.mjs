// Drives a running code-server with Playwright and Debian's Chromium, as a person would.
//
// --scenario trusted: open the fixture file, wait for the Mistral status bar item to say "ready",
//   hover it for its tooltip, open its menu, type and see the ghost text, accept it with Tab,
//   run "Mistral: Refactor selection…" from the light bulb menu and type the instruction, run
//   "Mistral: Explain" and find the answer in the Markdown preview.
// --scenario untrusted: Restricted Mode; the item must say why nothing runs and no ghost text
//   may appear.
// --scenario missing: mistral.server.python names no interpreter; a notification must say so
//   and offer the fix.
//
// Writes report.json and screenshots to --out; exits non-zero on the first failed expectation.
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    url: { type: "string" },
    folder: { type: "string" },
    file: { type: "string" },
    type: { type: "string", default: "return " },
    expect: { type: "string" },
    endpoint: { type: "string", default: "" },
    out: { type: "string" },
    tools: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "90000" },
    scenario: { type: "string", default: "trusted" },
    instruction: { type: "string", default: "" },
    "refactored-marker": { type: "string", default: "" },
    explanation: { type: "string", default: "" },
    key: { type: "string", default: "" },
  },
});
const require = createRequire(join(opt.tools, "package.json"));
const { chromium } = require("playwright-core");
const timeout = Number(opt.timeout);
mkdirSync(opt.out, { recursive: true });

const report = { steps: [], ok: false };
const t0 = Date.now();
function step(name, data = {}) {
  const entry = { name, ms: Date.now() - t0, ...data };
  report.steps.push(entry);
  console.log(`e2e: ${name} ${JSON.stringify(data)}`);
}
function save() {
  writeFileSync(join(opt.out, "report.json"), JSON.stringify(report, null, 2));
}
const normalise = (s) => (s ?? "").replace(/\u00a0/g, " ");

const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.setDefaultTimeout(timeout);
const shot = (name) => page.screenshot({ path: join(opt.out, `${name}.png`) }).catch(() => undefined);

async function statusItem() {
  // The item's text is "$(icon) Mistral"; codicons render as empty spans, so the text is "Mistral".
  return page.locator(".statusbar-item").filter({ hasText: /^\s*Mistral\s*$/ }).first();
}

async function statusIcon(item) {
  const cls = (await item.locator(".codicon").first().getAttribute("class").catch(() => "")) ?? "";
  return (cls.match(/codicon-([a-z-]+)/g) ?? []).filter((c) => c !== "codicon-modifier-spin").join(" ");
}

async function openWorkbenchAndFile() {
  await page.goto(`${opt.url}/?folder=${encodeURIComponent(opt.folder)}`);
  await page.waitForSelector(".monaco-workbench .part.editor", { timeout });
  step("workbench loaded");
  await shot("01-workbench");

  // Quick Open the fixture file (activation is onLanguage:python).
  await page.locator(".monaco-workbench").click({ position: { x: 700, y: 400 } }).catch(() => undefined);
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget:not([style*='display: none']) input", { timeout });
  await page.keyboard.type(opt.file);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${opt.file}"]`, { timeout });
  await page.keyboard.press("Enter");
  await page.waitForSelector(".monaco-editor .view-lines", { timeout });
  step("file opened", { file: opt.file });
  const item = await statusItem();
  await item.waitFor({ timeout });
  step("status item visible", { icon: await statusIcon(item) });
  return item;
}

async function hoverText(item, marker) {
  await item.hover();
  const hover = page.locator(".monaco-hover, .workbench-hover").filter({ hasText: marker }).first();
  await hover.waitFor({ timeout: 15000 });
  const text = normalise(await hover.innerText());
  await page.mouse.move(700, 400);
  return text;
}

async function editorText() {
  return normalise(await page.locator(".monaco-editor .view-lines").first().innerText());
}

async function waitForEditorText(marker, what) {
  const deadline = Date.now() + timeout;
  while (!(await editorText()).includes(marker)) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: the editor never showed ${JSON.stringify(marker)}:\n${await editorText()}`);
    }
    await page.waitForTimeout(250);
  }
}

/** The light bulb, as a content widget or in the glyph margin. */
const LIGHT_BULB = ".monaco-editor .lightBulbWidget [class*='codicon-'], .monaco-editor .glyph-margin-widgets [class*='lightbulb'], .monaco-editor .codicon-light-bulb";

async function runCommand(label) {
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget:not([style*='display: none']) input", { timeout });
  await page.keyboard.type(label);
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: label }).first();
  await row.waitFor({ timeout });
  await page.keyboard.press("Enter");
}

/**
 * Selects the whole file and picks `title` from the light bulb menu (or Source Action…).
 *
 * A new selection makes VS Code ask for code actions on its own (250 ms later), and that
 * automatic request cancels a Ctrl+. request still unanswered 500 ms after it: pressing Ctrl+.
 * right after selecting shows nothing when the server answers in more than ~0.75 s. So the
 * light bulb of the automatic request (its answer for this selection) is awaited first.
 */
async function runCodeAction(title, { source = false } = {}) {
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+A");
  await page.locator(LIGHT_BULB).first().waitFor({ timeout });
  if (source) {
    await runCommand("Source Action...");
  } else {
    await page.keyboard.press("Control+.");
  }
  const row = page.locator(".action-widget .monaco-list-row").filter({ hasText: title }).first();
  await row.waitFor({ timeout });
  const rows = normalise((await page.locator(".action-widget .monaco-list-row").allInnerTexts()).join(" | "));
  step("code actions", { rows });
  await row.click();
}

async function checkNoErrorNotifications(where) {
  await page.waitForTimeout(1000);
  const toasts = (await page.locator(".notifications-toasts .notification-toast").allInnerTexts()).map(normalise);
  report.notifications = [...(report.notifications ?? []), ...toasts];
  const errors = toasts.filter((t) => /failed|error/i.test(t));
  if (errors.length > 0) {
    throw new Error(`${where}: an error notification appeared: ${errors.join(" | ")}`);
  }
}

async function trusted() {
  const item = await openWorkbenchAndFile();

  // "Mistral: Set API key" from the status bar menu: the key goes to secret storage and the
  // server restarts with it in its environment.
  if (opt.key) {
    await item.click();
    const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: "Set API key" }).first();
    await row.waitFor({ timeout });
    await row.click();
    const input = page.locator(".quick-input-widget input[type='password']").first();
    await input.waitFor({ timeout });
    await page.keyboard.type(opt.key);
    await page.keyboard.press("Enter");
    step("API key set");
  }

  // Wait until the server reports "ready" (sparkle); keep the states seen on the way. An error
  // may pass (the server restarts when the key is set) but must not last.
  const seen = [];
  const deadline = Date.now() + timeout;
  let errorSince = 0;
  for (;;) {
    const icon = await statusIcon(item);
    if (seen.at(-1) !== icon) {
      seen.push(icon);
    }
    if (icon.includes("codicon-sparkle")) {
      break;
    }
    errorSince = icon.includes("codicon-error") ? errorSince || Date.now() : 0;
    if ((errorSince && Date.now() - errorSince > 15000) || Date.now() > deadline) {
      const hover = await hoverText(item, "Mistral:").catch(() => "");
      throw new Error(`the server did not become ready: states ${seen.join(" → ")}; tooltip: ${hover}`);
    }
    await page.waitForTimeout(250);
  }
  step("server ready", { states: seen });
  await shot("02-ready");

  // Tooltip: endpoint host and model.
  const tooltip = await hoverText(item, "Mistral:");
  report.tooltip = tooltip;
  step("tooltip", { tooltip });
  if (opt.endpoint && !tooltip.includes(`Endpoint: ${opt.endpoint}`)) {
    throw new Error(`tooltip does not name the endpoint ${opt.endpoint}: ${tooltip}`);
  }

  // Type at the end of the file and wait for the ghost text.
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(opt.type, { delay: 60 });
  const ghost = page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").first();
  await ghost.waitFor({ timeout });
  await page.waitForTimeout(300);
  const ghostText = normalise(await page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").allInnerTexts().then((t) => t.join("")));
  report.ghostText = ghostText;
  step("ghost text", { ghostText });
  await shot("03-ghost-text");
  if (opt.expect && !ghostText.includes(opt.expect)) {
    throw new Error(`ghost text ${JSON.stringify(ghostText)} does not contain ${JSON.stringify(opt.expect)}`);
  }

  await page.keyboard.press("Tab");
  await page.waitForTimeout(300);
  await page.keyboard.press("Escape"); // hide the next suggestion so only real text remains
  await page.waitForTimeout(300);
  const ghostsLeft = await page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").count();
  const lines = await editorText();
  report.editorText = lines;
  await page.keyboard.press("Control+S");
  await page.waitForTimeout(1000);
  await shot("04-accepted");
  const accepted = ghostsLeft === 0 && lines.split("\n").some((l) => l.includes(opt.type.trim()) && l.includes(opt.expect ?? ""));
  step("accepted", { accepted, ghostsLeft });
  if (!accepted) {
    throw new Error(`after Tab the editor does not show the completion as text:\n${lines}`);
  }

  // Accepting runs the item's command (mistral.accepted) on the server: no error may surface.
  await checkNoErrorNotifications("accepting the completion");

  // The status bar menu.
  await item.click();
  const picks = page.locator(".quick-input-list .monaco-list-row");
  await picks.first().waitFor({ timeout });
  report.menu = (await picks.allInnerTexts()).map(normalise);
  step("menu", { menu: report.menu });
  await shot("05-menu");
  await page.keyboard.press("Escape");
  const wantedRows = ["Disable inline completions", "Set API key", "Show logs", "Restart server", "Open settings"];
  if (opt.key) {
    wantedRows.push("a key is stored");
  }
  for (const wanted of wantedRows) {
    if (!report.menu.some((row) => row.includes(wanted))) {
      throw new Error(`the menu lacks "${wanted}": ${report.menu.join(" | ")}`);
    }
  }

  // Refactor from the light bulb menu: the extension asks for the instruction.
  if (opt.instruction) {
    await runCodeAction("Mistral: Refactor selection");
    const input = page.locator(".quick-input-widget input").first();
    await input.waitFor({ timeout });
    const title = normalise(await page.locator(".quick-input-widget .quick-input-title").first().innerText().catch(() => ""));
    step("instruction prompt", { title });
    await shot("06-instruction");
    await page.keyboard.type(opt.instruction);
    await page.keyboard.press("Enter");
    await waitForEditorText(opt["refactored-marker"], "refactor");
    await page.keyboard.press("Control+S");
    await page.waitForTimeout(800);
    await shot("07-refactored");
    step("refactored");
    await checkNoErrorNotifications("refactor");
  }

  // Explain from the light bulb menu: the answer opens as a Markdown preview.
  if (opt.explanation) {
    // Explain is a source action (kind source.mistral): VS Code lists those under Source Action….
    await runCodeAction("Mistral: Explain", { source: true });
    const deadline = Date.now() + timeout;
    let found = false;
    while (!found && Date.now() < deadline) {
      for (const frame of page.frames()) {
        const text = await frame.locator("body").innerText({ timeout: 1000 }).catch(() => "");
        if (text.includes(opt.explanation)) {
          found = true;
          break;
        }
      }
      if (!found) {
        await page.waitForTimeout(500);
      }
    }
    await shot("08-explained");
    step("explanation shown", { found });
    if (!found) {
      throw new Error(`the explanation ${JSON.stringify(opt.explanation)} was not shown`);
    }
    await checkNoErrorNotifications("explain");
  }

  // The switch in the menu: off means no ghost text (the server got the setting), on brings it back.
  await pickFromMenu(item, "Disable inline completions");
  await page.waitForTimeout(1000);
  const offTooltip = await hoverText(item, "Mistral:");
  step("completions off", { tooltip: offTooltip });
  if (!offTooltip.includes("Inline completions are off")) {
    throw new Error(`the tooltip does not say completions are off: ${offTooltip}`);
  }
  const ghosts = page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text");
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Enter");
  await page.keyboard.type(opt.type, { delay: 60 });
  await page.waitForTimeout(3000);
  const ghostsWhenOff = await ghosts.count();
  step("typed with completions off", { ghosts: ghostsWhenOff });
  await shot("09-completions-off");
  if (ghostsWhenOff !== 0) {
    throw new Error("ghost text appeared with completions turned off");
  }
  await pickFromMenu(item, "Enable inline completions");
  await page.waitForTimeout(1000);
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(" ", { delay: 60 });
  await ghosts.first().waitFor({ timeout });
  step("completions back on");
  await shot("10-completions-on");
  await page.keyboard.press("Escape");
}

async function pickFromMenu(item, label) {
  await item.click();
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: label }).first();
  await row.waitFor({ timeout });
  await row.click();
}

async function untrusted() {
  const item = await openWorkbenchAndFile();
  await page.waitForTimeout(2000);
  const icon = await statusIcon(item);
  const tooltip = await hoverText(item, "Mistral:");
  report.tooltip = tooltip;
  step("restricted status", { icon, tooltip });
  await shot("02-restricted");
  if (!icon.includes("codicon-circle-slash") || !tooltip.includes("Restricted Mode")) {
    throw new Error(`in Restricted Mode the item shows ${icon} / ${tooltip}`);
  }
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(opt.type, { delay: 60 });
  await page.waitForTimeout(3000);
  const ghosts = await page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").count();
  step("no ghost text", { ghosts });
  await shot("03-restricted-typed");
  if (ghosts !== 0) {
    throw new Error("ghost text appeared in Restricted Mode");
  }
}

async function missingServer() {
  const item = await openWorkbenchAndFile();
  const toast = page.locator(".notifications-toasts .notification-toast").filter({ hasText: "Mistral:" }).first();
  await toast.waitFor({ timeout });
  const text = normalise(await toast.innerText());
  report.notifications = [text];
  const icon = await statusIcon(item);
  step("missing server reported", { text, icon });
  await shot("02-missing-server");
  const named = text.includes("was not found") || (text.includes("needs Python") && text.includes("/nonexistent/bin/python3"));
  if (!named || !text.includes("Open settings") || !icon.includes("codicon-error")) {
    throw new Error(`no clear report of the missing server: ${text} / ${icon}`);
  }
}

try {
  if (opt.scenario === "untrusted") {
    await untrusted();
  } else if (opt.scenario === "missing") {
    await missingServer();
  } else {
    await trusted();
  }
  report.ok = true;
} catch (error) {
  report.error = String(error?.stack ?? error);
  report.ui = await page.evaluate(() => ({
    focused: document.activeElement?.className ?? "",
    actionWidget: [...document.querySelectorAll(".action-widget .monaco-list-row")].map((row) => row.textContent),
    messages: [...document.querySelectorAll(".monaco-editor-overlaymessage, .notifications-toasts")].map((node) => node.textContent),
    lightBulb: document.querySelectorAll(".monaco-editor .lightBulbWidget [class*='codicon-']").length,
  })).catch((e) => String(e));
  await shot("99-failure");
  console.error(`e2e: FAILED: ${report.error}`);
} finally {
  save();
  await browser.close();
}
process.exit(report.ok ? 0 : 1);
