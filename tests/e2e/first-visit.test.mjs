// A first visit on a slow link: GitHub Pages' gzip, a 10 Mbit/s download emulated by the
// DevTools protocol, an empty cache. The page must answer before the worker's wasm has arrived
// and without plotly.js, which loads with the first chart (the service worker precaches both
// only after the page has loaded). Times and bytes go to the log and to
// artifacts/first-visit.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { openApp, screenshot, ARTIFACTS } from "./browser.mjs";

const MBIT = 1e6 / 8;

test("first visit on 10 Mbit/s: interactive before the worker's wasm and plotly.js", async () => {
  const app = await openApp({ gzip: true });
  try {
    const cdp = await app.context.newCDPSession(app.page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 40, downloadThroughput: 10 * MBIT, uploadThroughput: 5 * MBIT });
    const started = Date.now();
    const at = () => (Date.now() - started) / 1000;
    const finished = [];
    app.context.on("requestfinished", async (request) => {
      const sizes = await request.sizes().catch(() => ({ responseBodySize: 0, responseHeadersSize: 0 }));
      finished.push({ url: request.url().replace(app.url, ""), at: at(), bytes: sizes.responseBodySize + sizes.responseHeadersSize });
    });
    await app.page.goto(app.url);
    // Interactive: the start screen is drawn by the page's wasm and its buttons answer.
    await app.page.getByTestId("demo").waitFor({ state: "visible", timeout: 300_000 });
    await app.page.getByTestId("theme-toggle").click();
    await app.page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    const interactive = at();
    const beforeInteractive = finished.filter((r) => r.at <= interactive);
    await screenshot(app.page, "first-visit-interactive");
    await app.page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 300_000 });
    const workerReady = at();
    const report = {
      link: "10 Mbit/s down, 5 Mbit/s up, 40 ms latency, gzip as GitHub Pages sends it",
      interactive_s: interactive,
      worker_ready_s: workerReady,
      bytes_before_interactive: beforeInteractive.reduce((sum, r) => sum + r.bytes, 0),
      requests: finished,
    };
    await writeFile(join(ARTIFACTS, "first-visit.json"), JSON.stringify(report, null, 2));
    console.log(`first visit at 10 Mbit/s: interactive ${interactive.toFixed(1)} s (${(report.bytes_before_interactive / 1e6).toFixed(2)} MB), worker ready ${workerReady.toFixed(1)} s`);
    for (const r of finished) console.log(`  ${r.at.toFixed(1).padStart(6)} s ${(r.bytes / 1e3).toFixed(0).padStart(7)} kB ${r.url}`);
    assert.ok(!beforeInteractive.some((r) => /worker.*\.wasm$/.test(r.url)), "the page waited for the worker's wasm");
    assert.ok(!beforeInteractive.some((r) => /plotly/.test(r.url)), "plotly.js loaded before the page answered");
    assert.ok(interactive < workerReady);
    assert.deepEqual(app.problems, []);
  } finally {
    await app.close();
  }
});
