// Drives a running code-server with Playwright and Debian's Chromium, as a person would:
// open the fixture file, wait for the Mistral status bar item to say "ready", type, see the ghost
// text, accept it with Tab, hover the status item for its tooltip. Writes a JSON report and
// screenshots; exits non-zero on the first expectation that fails.
//
//   node driver.mjs --url http://127.0.0.1:PORT --folder WS --file NAME --expect TEXT --out DIR
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

try {
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

  // Wait until the server reports "ready" (sparkle); keep the states seen on the way.
  const seen = [];
  const deadline = Date.now() + timeout;
  for (;;) {
    const icon = await statusIcon(item);
    if (seen.at(-1) !== icon) {
      seen.push(icon);
    }
    if (icon.includes("codicon-sparkle")) {
      break;
    }
    if (icon.includes("codicon-error") || Date.now() > deadline) {
      await item.hover();
      await page.waitForTimeout(1500);
      const hover = normalise(await page.locator(".monaco-hover, .workbench-hover").first().innerText().catch(() => ""));
      throw new Error(`the server did not become ready: states ${seen.join(" → ")}; tooltip: ${hover}`);
    }
    await page.waitForTimeout(250);
  }
  step("server ready", { states: seen });
  await shot("02-ready");

  // Tooltip: endpoint host and model.
  await item.hover();
  const hover = page.locator(".monaco-hover, .workbench-hover").filter({ hasText: "Mistral:" }).first();
  await hover.waitFor({ timeout: 15000 });
  const tooltip = normalise(await hover.innerText());
  report.tooltip = tooltip;
  step("tooltip", { tooltip });
  if (opt.endpoint && !tooltip.includes(`Endpoint: ${opt.endpoint}`)) {
    throw new Error(`tooltip does not name the endpoint ${opt.endpoint}: ${tooltip}`);
  }
  await page.mouse.move(700, 400);

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
  const lines = normalise(await page.locator(".monaco-editor .view-lines").first().innerText());
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
  await page.waitForTimeout(1500);
  const toasts = await page.locator(".notifications-toasts .notification-toast").allInnerTexts();
  report.notifications = toasts.map(normalise);
  step("notifications", { notifications: report.notifications });
  const errors = report.notifications.filter((t) => /failed|error/i.test(t));
  if (errors.length > 0) {
    throw new Error(`an error notification appeared: ${errors.join(" | ")}`);
  }
  report.ok = true;
} catch (error) {
  report.error = String(error?.stack ?? error);
  await shot("99-failure");
  console.error(`e2e: FAILED: ${report.error}`);
} finally {
  save();
  await browser.close();
}
process.exit(report.ok ? 0 : 1);
