// Usable by everyone: axe-core finds no serious or critical violation in any view (start screen,
// preview, the ten dashboard tabs) in the light and the dark theme, and the whole flow from the
// start screen to a download works with the keyboard alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { openApp, screenshot, REPO } from "./browser.mjs";

const TABS = ["overview", "segments", "distributions", "profiles", "map", "models", "validation", "value", "cohorts", "roi"];
const SMALL_CSV = { name: "small.csv", mimeType: "text/csv", buffer: Buffer.from("customer,recency,frequency,monetary\n1,3,2,10\n2,30,1,5\n") };
const AXE = await readFile(join(REPO, "node_modules", "axe-core", "axe.min.js"), "utf8");

async function workerReady(page) {
  await page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });
}

async function chartsDrawn(page) {
  await page.waitForFunction(() => [...document.querySelectorAll(".chart")].every((c) => c.querySelector(".main-svg")), null, { timeout: 30_000 });
}

/** Serious and critical axe violations of the page as it is now, one line each. */
async function violations(page) {
  // Evaluated through the DevTools protocol: the page's CSP allows no injected script element.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const results = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`));
}

/** Scans the current view in the light and the dark theme; returns what was found. */
async function scanBothThemes(page, view) {
  const found = [];
  for (const theme of ["light", "dark"]) {
    if ((await page.evaluate(() => document.documentElement.dataset.theme ?? "light")) !== theme) {
      await page.getByTestId("theme-toggle").click();
      await page.waitForFunction((t) => (document.documentElement.dataset.theme ?? "light") === t, theme);
      if (await page.locator(".chart").count()) await page.waitForTimeout(300);
    }
    await screenshot(page, `a11y-${view}-${theme}`);
    found.push(...(await violations(page)).map((v) => `${view}, ${theme}: ${v}`));
  }
  return found;
}

test("axe: no serious or critical violation in any view, light or dark", async () => {
  const app = await openApp();
  try {
    await app.page.goto(app.url);
    await workerReady(app.page);
    const found = await scanBothThemes(app.page, "start");
    await app.page.getByTestId("file-input").setInputFiles(SMALL_CSV);
    await app.page.getByTestId("preview").waitFor({ timeout: 60_000 });
    found.push(...(await scanBothThemes(app.page, "preview")));
    await app.page.getByRole("button", { name: "Choose another file" }).click();
    await app.page.getByTestId("demo").click();
    await app.page.getByTestId("dashboard").waitFor({ timeout: 600_000 });
    for (const tab of TABS) {
      await app.page.getByTestId(`tab-${tab}`).click();
      await chartsDrawn(app.page);
      found.push(...(await scanBothThemes(app.page, tab)));
    }
    assert.deepEqual(found, []);
    assert.deepEqual(app.problems, []);
  } finally {
    await app.close();
  }
});

/** Presses Tab until the focused element satisfies `matches` (run in the page); fails after `limit`. */
async function tabTo(page, description, matches, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(matches)) return;
  }
  assert.fail(`Tab never reached ${description}`);
}
/**
 * Opens the file picker with Space on the focused file input. Once, in one of six full runs on
 * 2026-12-03, headless Chromium opened no picker for the press though the input had the focus,
 * so the press is repeated, as a user would, at most three times.
 */
async function chooserFromKeyboard(page) {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!(await page.evaluate(byTestId("file-input")))) await tabTo(page, "the file input", byTestId("file-input"));
    const chooser = page.waitForEvent("filechooser", { timeout: 10_000 }).catch(() => null);
    await page.keyboard.press("Space");
    const opened = await chooser;
    if (opened) return opened;
  }
  assert.fail("Space on the focused file input never opened the file picker");
}

const byTestId = (id) => new Function(`return document.activeElement?.dataset?.testid === ${JSON.stringify(id)}`);
const byText = (text) => new Function(`return document.activeElement?.textContent?.trim() === ${JSON.stringify(text)}`);

test("keyboard only: choose a file, go back, run the demo, switch views with arrow keys, download", async () => {
  const app = await openApp();
  try {
    await app.page.goto(app.url);
    await workerReady(app.page);

    // The file picker opens from the keyboard (Space on the focused file input).
    await (await chooserFromKeyboard(app.page)).setFiles(SMALL_CSV);
    await app.page.getByTestId("preview").waitFor({ timeout: 60_000 });
    await tabTo(app.page, "“Choose another file”", byText("Choose another file"));
    await app.page.keyboard.press("Enter");
    await app.page.getByTestId("dropzone").waitFor();

    await tabTo(app.page, "the demo button", byTestId("demo"));
    await app.page.keyboard.press("Enter");
    await app.page.getByTestId("dashboard").waitFor({ timeout: 600_000 });

    // Views: Tab reaches the selected tab, arrow keys move along the tabs and select them.
    await tabTo(app.page, "the selected tab", byTestId("tab-overview"));
    await app.page.keyboard.press("ArrowRight");
    await app.page.keyboard.press("ArrowRight");
    assert.equal(await app.page.evaluate(() => document.activeElement.dataset.testid), "tab-distributions");
    assert.equal(await app.page.getByTestId("tab-distributions").getAttribute("aria-selected"), "true");
    await app.page.keyboard.press("ArrowLeft");
    assert.equal(await app.page.getByTestId("tab-segments").getAttribute("aria-selected"), "true");
    await app.page.keyboard.press("ArrowRight");
    await chartsDrawn(app.page);
    await screenshot(app.page, "keyboard-distributions");

    // Shift+Tab back up to the toolbar's download, Enter downloads.
    for (let i = 0; i < 40 && !(await app.page.evaluate(byTestId("download-customers"))); i++) await app.page.keyboard.press("Shift+Tab");
    assert.ok(await app.page.evaluate(byTestId("download-customers")), "Shift+Tab reached the customers download");
    const download = app.page.waitForEvent("download");
    await app.page.keyboard.press("Enter");
    const file = await (await download).path();
    const csv = await readFile(file, "utf8");
    assert.match(csv.split("\n")[0], /customer/i);
    assert.ok(csv.trim().split("\n").length > 100, "one line per customer of the demo");
    assert.deepEqual(app.problems, []);
  } finally {
    await app.close();
  }
});
