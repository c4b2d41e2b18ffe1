// The published site: under a sub-path as a GitHub Pages project site (/rfm-studio/), and a deploy
// while a page is open: the page and every worker it starts stay on one build until the user
// accepts the announced reload, which brings the new build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, rename, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { openApp, foreignRequests, screenshot, REPO } from "./browser.mjs";

const WORKER_READY = /^(WebGPU|CPU):/;
const SUB_PATH = "/rfm-studio/";

async function workerReady(page) {
  await page.getByTestId("worker-status").filter({ hasText: WORKER_READY }).waitFor({ timeout: 60_000 });
}

/** The build of the page (its meta tag) and of a pipeline worker (set by its loader). */
async function builds(page, worker) {
  const pageBuild = await page.evaluate(() => document.querySelector('meta[name="rfm-build"]').content);
  return { page: pageBuild, worker: await worker.evaluate(async () => {
    // The worker may be reported before its loader's first line has run.
    while (self.rfmBuild === undefined) await new Promise((ok) => setTimeout(ok, 20));
    return self.rfmBuild;
  }), workerUrl: worker.url() };
}

/** The page's one worker, once the others have ended. */
async function onlyWorker(page) {
  const until = Date.now() + 15_000;
  while (page.workers().length !== 1) {
    assert.ok(Date.now() < until, `workers still running: ${page.workers().length}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return page.workers()[0];
}

/**
 * Build B: build A with a changed worker loader, renamed and relabelled as post_build.mjs does
 * (new content, so a new version: its folder, the page's <base> and meta tag, the service
 * worker's precache list and version, the loader's build label), written to `dir`.
 */
async function nextBuild(dist, dir) {
  const a = (await readFile(join(dist, "index.html"), "utf8")).match(/<meta name="rfm-build" content="([0-9a-f]+)"/)[1];
  const b = createHash("sha256").update(`${a} changed`).digest("hex").slice(0, 16);
  await cp(dist, dir, { recursive: true });
  await rename(join(dir, `build-${a}`), join(dir, `build-${b}`));
  for (const file of ["index.html", "sw.js", `build-${b}/worker_loader.js`]) {
    const text = await readFile(join(dir, file), "utf8");
    assert.ok(text.includes(a), `${file} names build A`);
    await writeFile(join(dir, file), text.replaceAll(a, b) + (file.endsWith("loader.js") ? "// changed in build B\n" : ""));
  }
  return { a, b, dir };
}

test("under a sub-path: the demo runs to the dashboard and every request stays under it", async () => {
  const app = await openApp({ base: SUB_PATH });
  try {
    await app.page.goto(app.url);
    await workerReady(app.page);
    await app.page.getByTestId("demo").click();
    await app.page.getByTestId("dashboard").waitFor({ timeout: 600_000 });
    await app.page.getByTestId("tab-map").click();
    await app.page.waitForFunction(() => document.querySelector("#tsne-map .main-svg"), null, { timeout: 30_000 });
    await screenshot(app.page, "subpath-map");
    const paths = app.requests.filter((u) => u.startsWith(app.origin)).map((u) => new URL(u).pathname);
    assert.ok(paths.some((p) => p.endsWith("/worker_bg.wasm")), "the worker's own requests are recorded");
    assert.deepEqual(paths.filter((p) => !p.startsWith(SUB_PATH)), []);
    assert.ok(await app.page.evaluate(async () => (await navigator.serviceWorker.ready).scope.endsWith("/rfm-studio/")));
    assert.deepEqual(app.problems, []);
    assert.deepEqual(foreignRequests(app.requests, app.origin), []);
  } finally {
    await app.close();
  }
});

test("a deploy under an open page: page and a fresh worker stay on build A, the announced reload brings B", async () => {
  const app = await openApp({ base: SUB_PATH });
  try {
    const { a, b, dir } = await nextBuild(join(REPO, "dist"), app.scratch("build-b"));
    const firstWorker = app.page.waitForEvent("worker", { timeout: 120_000 });
    await app.page.goto(app.url);
    await workerReady(app.page);
    await app.page.waitForFunction(async () => (await navigator.serviceWorker.ready) && navigator.serviceWorker.controller !== null);
    const first = await builds(app.page, await firstWorker);
    assert.deepEqual([first.page, first.worker], [a, a]);

    app.server.switchTo(dir);
    // What the browser does on its own at the next navigation or periodic check.
    await app.page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    await app.page.getByTestId("update-banner").waitFor({ timeout: 60_000 });
    assert.match(await app.page.getByTestId("update-banner").textContent(), /A new version is ready/);

    // Cancel replaces the worker: the new one is started after the deploy, yet runs build A. (The
    // run's worker starts a t-SNE helper of its own: the worker to ask is the one left after the
    // cancel ended both, not the next one to appear.)
    await app.page.getByTestId("demo").click();
    await app.page.getByTestId("running").waitFor();
    await app.page.getByTestId("cancel").click();
    await workerReady(app.page);
    const afterCancel = await builds(app.page, await onlyWorker(app.page));
    assert.equal(afterCancel.page, a);
    assert.equal(afterCancel.worker, a);
    assert.match(afterCancel.workerUrl, new RegExp(`/build-${a}/worker_loader\\.js$`));
    await screenshot(app.page, "update-announced");

    // Reload as offered: the waiting service worker takes over and the page comes back as B.
    const reloadedWorker = app.page.waitForEvent("worker", { timeout: 120_000 });
    await Promise.all([app.page.waitForEvent("load"), app.page.getByTestId("update-reload").click()]);
    await workerReady(app.page);
    const reloaded = await builds(app.page, await reloadedWorker);
    assert.deepEqual({ page: reloaded.page, worker: reloaded.worker }, { page: b, worker: b });
    assert.equal(await app.page.getByTestId("update-banner").count(), 0);
    assert.deepEqual(app.problems, []);
    assert.deepEqual(foreignRequests(app.requests, app.origin), []);
  } finally {
    await app.close();
  }
});
