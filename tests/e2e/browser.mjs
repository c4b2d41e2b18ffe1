// Shared setup for the end-to-end tests: Debian's Chromium driven by playwright-core, the built
// app served on loopback, and a record of every request (page and workers) and console message.
// RFM_E2E_BASE=/rfm-studio/ serves the app under a sub-path, as a GitHub Pages project site.
import { chromium } from "playwright-core";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./static-server.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, "..", "..");
export const ARTIFACTS = join(HERE, "artifacts");

const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Starts the server and a fresh browser profile; returns handles and the request log.
 * `wasmMemoryMiB` caps every WebAssembly memory of the browser, as a device with less memory
 * would: the page's and the worker's allocations fail beyond it. `root` is the build served and
 * `base` its path prefix; `url` is the app's address, `server.switchTo(dir)` publishes another
 * build. Requests are recorded at the browser context, which sees those of dedicated workers too.
 * `gzip` compresses responses as GitHub Pages does. `scratch(name)` is a path in the app's own
 * temporary folder (beside the browser profile) for files a test writes; `close` removes it all.
 */
export async function openApp({ webgpu = false, wasmMemoryMiB, root = join(REPO, "dist"), base = process.env.RFM_E2E_BASE ?? "/", gzip = false } = {}) {
  const server = await serve(root, "127.0.0.1", 0, { base, gzip });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const scratchDir = await mkdtemp(join(tmpdir(), "rfm-e2e-"));
  const scratch = (name) => join(scratchDir, name);
  const profile = scratch("profile");
  await mkdir(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      ...CHROMIUM_ARGS,
      ...(webgpu ? ["--enable-unsafe-webgpu"] : []),
      // A wasm page is 64 KiB.
      ...(wasmMemoryMiB ? [`--js-flags=--wasm-max-mem-pages=${wasmMemoryMiB * 16}`] : []),
    ],
    viewport: { width: 1366, height: 900 },
  });
  const requests = [];
  const problems = [];
  context.on("request", (r) => requests.push(r.url()));
  context.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} for ${r.url()}`));
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    // A failed load is reported with its URL by the response listener above.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("worker", (w) => w.on("console", (m) => m.type() === "error" && problems.push(`worker console error: ${m.text()}`)));
  await mkdir(ARTIFACTS, { recursive: true });
  const close = async () => {
    await context.close();
    await new Promise((ok) => server.close(ok));
    await rm(scratchDir, { recursive: true, force: true });
  };
  return { origin, url: origin + base, server, context, page, requests, problems, close, profile, scratch };
}

/** Requests whose origin is not the app's own (data: and blob: URLs stay on the device). */
export function foreignRequests(requests, origin) {
  return requests.filter((u) => !u.startsWith(origin + "/") && !/^(data|blob):/.test(u));
}

export async function screenshot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
