// One-off measurement (not part of ./run test): drop-to-dashboard time, the worker's per-stage
// times and the page's JS heap for a large file in headless Chromium.
// Usage: node tests/e2e/measure-large.mjs FILE
import { openApp } from "./browser.mjs";

const file = process.argv[2];
const app = await openApp();
try {
  await app.page.goto(app.url);
  await app.page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });
  const started = Date.now();
  await app.page.getByTestId("file-input").setInputFiles(file);
  await app.page.getByTestId("preview").waitFor({ timeout: 120_000 });
  // The page's JS heap, sampled while the worker runs; the worker's wasm memory is not in it.
  await app.page.evaluate(() => {
    window.__peakHeap = 0;
    setInterval(() => (window.__peakHeap = Math.max(window.__peakHeap, performance.memory.usedJSHeapSize)), 100);
  });
  await app.page.getByTestId("run").click();
  await app.page.getByTestId("dashboard").waitFor({ timeout: 1_200_000 });
  const heap = await app.page.evaluate(() => Math.max(window.__peakHeap, performance.memory.usedJSHeapSize) / 1e6);
  const kpis = await app.page.getByTestId("kpis").textContent();
  console.log(`${file}: drop-to-dashboard ${((Date.now() - started) / 1000).toFixed(1)} s, peak page JS heap ${heap.toFixed(1)} MB; ${kpis}`);
  console.log(await app.page.getByText(/^Pipeline stages:/).textContent());
  console.log(`problems: ${JSON.stringify(app.problems)}`);
} finally {
  await app.close();
}
