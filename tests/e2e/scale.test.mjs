// The large-n path in the page: 100,000 customers as an RFM table reach the dashboard, with the
// O(n²) stages on the seeded sample and the views saying so. Guards the path from rotting; its
// timings are printed, never asserted (./run bench measures them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { openApp, screenshot } from "./browser.mjs";

const CUSTOMERS = 100_000;

/** A heavy-tailed RFM table like retail's: a third buy once, spend grows with visits. */
function rfmTable(customers) {
  let state = 11;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const lines = ["customer_id,recency,frequency,monetary"];
  for (let i = 0; i < customers; i++) {
    const frequency = random() < 0.35 ? 1 : 1 + Math.min(300, Math.floor(random() ** -0.8));
    const recency = 1 + Math.floor(-Math.log(1 - random()) * 120);
    const monetary = (frequency * (20 + 400 * random())).toFixed(2);
    lines.push(`C${i},${recency},${frequency},${monetary}`);
  }
  return lines.join("\n") + "\n";
}

test("100,000 customers reach the dashboard, sampled where the work is quadratic", async () => {
  const app = await openApp();
  try {
    await app.page.goto(app.url);
    await app.page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });
    const path = app.scratch("rfm_100000.csv");
    await writeFile(path, rfmTable(CUSTOMERS));
    const started = Date.now();
    await app.page.getByTestId("file-input").setInputFiles(path);
    await app.page.getByTestId("preview").waitFor({ timeout: 60_000 });
    await app.page.getByTestId("run").click();
    await app.page.getByTestId("dashboard").waitFor({ timeout: 1_200_000 });
    const seconds = (Date.now() - started) / 1000;
    const heap = await app.page.evaluate(() => performance.memory.usedJSHeapSize / 1e6);
    console.log(`100,000 customers: drop-to-dashboard ${seconds.toFixed(1)} s, page JS heap ${heap.toFixed(1)} MB`);
    assert.match(await app.page.getByTestId("kpis").textContent(), /Customers\s*100,000/);
    // Every number from a sample says so.
    assert.match(await app.page.getByTestId("dashboard").textContent(), /sample of 5,000 of 100,000 customers/);
    for (const tab of ["distributions", "map", "models"]) {
      await app.page.getByTestId(`tab-${tab}`).click();
      await app.page.waitForFunction(() => [...document.querySelectorAll(".chart")].every((c) => c.querySelector(".main-svg")), null, { timeout: 60_000 });
      await screenshot(app.page, `scale-100k-${tab}`);
    }
    assert.deepEqual(app.problems, []);
  } finally {
    await app.close();
  }
});
