// One-off measurement (not part of ./run test): drop-to-dashboard time, the worker's per-stage
// times, the page's JS heap and the peak resident memory of the tab's renderer process (the page
// and its Web Worker live in it) for a large file in headless Chromium.
// Usage: node tests/e2e/measure-large.mjs FILE
import { execFileSync } from "node:child_process";
import { openApp } from "./browser.mjs";

/** Resident MB of the renderer processes of the browser that uses `profile`. */
function rendererMb(profile) {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,rss=,args="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/))
    .filter(Boolean)
    .map(([, pid, ppid, rss, args]) => ({ pid, ppid, rss: Number(rss), args }));
  const browser = rows.find((r) => r.args.includes(`--user-data-dir=${profile}`) && !r.args.includes("--type="));
  if (!browser) return 0;
  const family = new Set([browser.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) if (family.has(r.ppid) && !family.has(r.pid)) family.add(r.pid), (grew = true);
  }
  return rows.filter((r) => family.has(r.pid) && r.args.includes("--type=renderer")).reduce((sum, r) => sum + r.rss, 0) / 1024;
}

const file = process.argv[2];
const app = await openApp();
try {
  await app.page.goto(app.url);
  await app.page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });
  const started = Date.now();
  let peakRenderer = 0;
  const sampler = setInterval(() => (peakRenderer = Math.max(peakRenderer, rendererMb(app.profile))), 250);
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
  clearInterval(sampler);
  const kpis = await app.page.getByTestId("kpis").textContent();
  console.log(`${file}: drop-to-dashboard ${((Date.now() - started) / 1000).toFixed(1)} s, peak page JS heap ${heap.toFixed(1)} MB, peak page + worker (renderer RSS) ${peakRenderer.toFixed(0)} MB; ${kpis}`);
  console.log(await app.page.getByText(/^Pipeline stages:/).textContent());
  console.log(`problems: ${JSON.stringify(app.problems)}`);
} finally {
  await app.close();
}
