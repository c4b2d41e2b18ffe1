// End-to-end flows of the studio in headless Chromium: demo to dashboard with every view,
// the real Online Retail II sheet, a malformed file, the preview's bindings and option errors,
// cancel, offline reload, privacy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openApp, foreignRequests, screenshot, REPO } from "./browser.mjs";

const TABS = ["overview", "segments", "distributions", "profiles", "map", "models", "validation", "value", "cohorts", "roi"];
// In the repository (CC BY 4.0, see tests/data/NOTICE), so a fresh clone runs this test too.
const REAL_SHEET = join(REPO, "tests", "data", "online_retail_II_2009_2010.csv.gz");

async function ready(app) {
  await app.page.goto(app.url);
  await app.page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });
}

async function waitForDashboard(page, timeout) {
  const started = Date.now();
  await page.getByTestId("dashboard").waitFor({ timeout });
  return (Date.now() - started) / 1000;
}

async function visitEveryView(app, prefix) {
  for (const tab of TABS) {
    await app.page.getByTestId(`tab-${tab}`).click();
    // Charts are drawn asynchronously by plotly.js once it has loaded.
    await app.page.waitForFunction(() => [...document.querySelectorAll(".chart")].every((c) => c.querySelector(".main-svg")), null, { timeout: 30_000 });
    await screenshot(app.page, `${prefix}-${tab}`);
    // plotly replaces a WebGL chart it cannot draw by a notice; none may show.
    const charts = await app.page.locator(".chart").allTextContents();
    assert.ok(charts.every((text) => !text.includes("WebGL is not supported")), `${tab}: a chart needs WebGL`);
  }
}

async function heapMb(page) {
  return page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize / 1e6 : NaN));
}

test("demo: from the start screen to a full dashboard, every view renders", async () => {
  const app = await openApp();
  try {
    await ready(app);
    await screenshot(app.page, "start");
    const started = Date.now();
    await app.page.getByTestId("demo").click();
    await app.page.getByTestId("running").waitFor();
    await screenshot(app.page, "running");
    await waitForDashboard(app.page, 600_000);
    console.log(`demo: drop-to-dashboard ${((Date.now() - started) / 1000).toFixed(1)} s, JS heap ${(await heapMb(app.page)).toFixed(1)} MB`);
    // The map was computed beside the other stages, by the pipeline worker's helper.
    const stageTimes = await app.page.getByTestId("stage-times").textContent();
    assert.match(stageTimes, /t-SNE map \(in parallel\) [\d.]+ s on a second worker/);
    await visitEveryView(app, "demo");
    // Filter, lookup and dark mode.
    await app.page.getByTestId("tab-profiles").click();
    await app.page.getByTestId("cluster-filter").selectOption({ index: 1 });
    await screenshot(app.page, "demo-profiles-filtered");
    const firstId = (await app.page.getByTestId("top-customers").locator("tbody tr td").first().textContent()).trim();
    await app.page.getByTestId("lookup").fill(firstId);
    await app.page.getByTestId("lookup-result").filter({ hasText: `Customer ${firstId}` }).waitFor();
    await app.page.getByTestId("theme-toggle").click();
    await app.page.getByTestId("tab-map").click();
    await app.page.waitForFunction(() => document.querySelector("#tsne-map .main-svg"));
    await screenshot(app.page, "demo-map-dark");
    assert.equal(await app.page.evaluate(() => document.documentElement.dataset.theme), "dark");
    assert.deepEqual(app.problems, []);
    assert.deepEqual(foreignRequests(app.requests, app.origin), []);
  } finally {
    await app.close();
  }
});

test("the real Online Retail II 2009-2010 sheet gives 4,312 customers", async () => {
  const app = await openApp();
  try {
    await ready(app);
    const started = Date.now();
    await app.page.getByTestId("file-input").setInputFiles(REAL_SHEET);
    await app.page.getByTestId("preview").waitFor({ timeout: 60_000 });
    await screenshot(app.page, "real-preview");
    // Migration and the holdout start at a chosen date.
    await app.page.getByTestId("migration-date").fill("2010-08-31");
    await app.page.getByTestId("run").click();
    await waitForDashboard(app.page, 900_000);
    console.log(`real sheet: drop-to-dashboard ${((Date.now() - started) / 1000).toFixed(1)} s, JS heap ${(await heapMb(app.page)).toFixed(1)} MB`);
    const kpis = await app.page.getByTestId("kpis").textContent();
    assert.match(kpis, /Customers\s*4,312/);
    const notes = await app.page.getByTestId("reading-notes").textContent();
    assert.match(notes, /recognised by: invoice is "C" followed by digits/);
    assert.match(notes, /datesYYYY-MM-DD/);
    await visitEveryView(app, "real");
    // Score thresholds: custom breaks rescore the classic segments at once; the crosstab keeps
    // every customer.
    await app.page.getByTestId("tab-segments").click();
    assert.equal(await app.page.getByTestId("score-ranges").locator("tbody tr").count(), 3);
    const counts = app.page.getByTestId("segment-counts");
    assert.doesNotMatch(await counts.textContent(), /\d\s*$/);
    await app.page.getByTestId("break-monetary-3").fill("1000000");
    await app.page.getByTestId("break-monetary-3").dispatchEvent("change");
    await counts.locator("tbody tr td").nth(1).filter({ hasText: /\d/ }).waitFor();
    const crosstab = await app.page.getByTestId("segment-crosstab").locator("tbody td").allTextContents();
    assert.equal(crosstab.reduce((sum, n) => sum + Number(n), 0), 4312);
    await screenshot(app.page, "real-segments-custom-breaks");
    await app.page.getByTestId("reset-breaks").click();
    // Cohorts: the chosen date, a Sankey of the segments, the clusters' migration, revenue.
    await app.page.getByTestId("tab-cohorts").click();
    assert.match(await app.page.getByRole("heading", { name: /Segment migration since/ }).textContent(), /2010-08-31/);
    assert.ok((await app.page.getByTestId("migration-sankey").locator("svg path").count()) > 10);
    await app.page.getByTestId("migration-revenue").check();
    await app.page.waitForFunction(() => document.querySelector("#cluster-migration-heatmap .gtitle")?.textContent.includes("revenue"));
    await screenshot(app.page, "real-cohorts-revenue");
    await app.page.getByTestId("tab-value").click();
    await app.page.waitForFunction(() => document.querySelector("#value-holdout .gtitle")?.textContent.includes("2010-08-31"));
    // Customer value, cohorts and migration on real transactions, in the dark theme too.
    await app.page.getByTestId("tab-value").click();
    assert.match(await app.page.getByTestId("value-kpis").textContent(), /Expected alive/);
    assert.equal(await app.page.getByTestId("churn-risk").locator("tbody tr").count(), 20);
    await app.page.getByTestId("theme-toggle").click();
    for (const tab of ["value", "cohorts"]) {
      await app.page.getByTestId(`tab-${tab}`).click();
      await app.page.waitForFunction(() => [...document.querySelectorAll(".chart")].every((c) => c.querySelector(".main-svg")), null, { timeout: 30_000 });
      await screenshot(app.page, `real-${tab}-dark`);
    }
    assert.match(await app.page.getByTestId("migration").textContent(), /New \(first bought since\)/);
    assert.deepEqual(app.problems, []);
    assert.deepEqual(foreignRequests(app.requests, app.origin), []);
  } finally {
    await app.close();
  }
});

test("a malformed file shows its error and the app stays usable", async () => {
  const app = await openApp();
  try {
    await ready(app);
    await app.page.getByTestId("file-input").setInputFiles({ name: "garbage.csv", mimeType: "text/csv", buffer: Buffer.from([0, 1, 2, 3, 255, 254, 0, 7, 9, 0, 0, 1]) });
    const error = app.page.getByTestId("error");
    await error.waitFor({ timeout: 60_000 });
    assert.match(await error.textContent(), /binary data/);
    await screenshot(app.page, "malformed");
    await app.page.getByTestId("file-input").setInputFiles({ name: "ok.csv", mimeType: "text/csv", buffer: Buffer.from("customer,recency,frequency,monetary\n1,3,2,10\n2,30,1,5\n") });
    await app.page.getByTestId("preview").waitFor({ timeout: 60_000 });
  } finally {
    await app.close();
  }
});

test("the preview's controls show the options in force, and bad options are refused beside their control", async () => {
  const app = await openApp();
  try {
    await ready(app);
    const transactions = (name) => ({
      name,
      mimeType: "text/csv",
      buffer: Buffer.from(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n" +
          "500001,80001,ITEM,2,2010-01-04 10:00:00,2.5,20001,United Kingdom\n" +
          "500002,80002,ITEM,1,2010-02-05 11:00:00,1.5,20002,United Kingdom\n",
      ),
    });
    const preview = app.page.getByTestId("preview");
    await app.page.getByTestId("file-input").setInputFiles(transactions("first.csv"));
    await preview.waitFor({ timeout: 60_000 });
    await preview.getByLabel("Drop exact duplicate lines").uncheck();
    await preview.getByLabel("Date order").selectOption("dmy");
    // Another file: the rule stays off and the date order stays day-first, and the controls say so.
    await preview.getByRole("button", { name: "Choose another file" }).click();
    await app.page.getByTestId("dropzone").waitFor();
    await app.page.getByTestId("file-input").setInputFiles(transactions("second.csv"));
    await preview.waitFor({ timeout: 60_000 });
    assert.equal(await preview.getByLabel("Drop exact duplicate lines").isChecked(), false);
    assert.equal(await preview.getByLabel("Date order").inputValue(), "dmy");
    // k outside 2..=10 is kept as typed, explained beside the field, and no run starts.
    await preview.getByTestId("k").fill("11");
    await preview.getByTestId("k").blur();
    assert.match(await preview.getByTestId("k-error").textContent(), /k must be between 2 and 10; got 11/);
    await preview.getByTestId("run").click();
    assert.equal(await app.page.getByTestId("running").count(), 0);
    await preview.getByTestId("k").fill("4");
    await preview.getByTestId("k").blur();
    await preview.getByTestId("k-error").waitFor({ state: "detached" });
  } finally {
    await app.close();
  }
});

test("cancel stops a run and leaves the app usable", async () => {
  const app = await openApp();
  try {
    await ready(app);
    await app.page.getByTestId("demo").click();
    await app.page.getByTestId("running").waitFor();
    await app.page.getByTestId("cancel").click();
    await app.page.getByTestId("dropzone").waitFor();
    assert.match(await app.page.getByTestId("error").textContent(), /cancelled/);
    // A fresh worker answers again.
    await app.page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });
  } finally {
    await app.close();
  }
});

test("after a first visit the app loads with no network", async () => {
  const app = await openApp();
  try {
    await ready(app);
    await app.page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    // The first visit is not controlled by the new service worker until a reload.
    await app.page.reload();
    await app.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await app.context.setOffline(true);
    await app.page.reload();
    await app.page.getByTestId("privacy").waitFor();
    await app.page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });
    await screenshot(app.page, "offline");
  } finally {
    await app.context.setOffline(false);
    await app.close();
  }
});

test("with WebGPU enabled the worker reports the adapter it found", async () => {
  const app = await openApp({ webgpu: true });
  try {
    await ready(app);
    const badge = (await app.page.getByTestId("worker-status").textContent()).trim();
    console.log(`WebGPU probe with --enable-unsafe-webgpu: ${badge}`);
    // Headless Chromium offers SwiftShader, a software fallback: the studio trains on CPU.
    assert.match(badge, /^(WebGPU: .+|CPU: WebGPU adapter is a software fallback.*|CPU: WebGPU unavailable)$/);
    assert.deepEqual(app.problems, []);
  } finally {
    await app.close();
  }
});
