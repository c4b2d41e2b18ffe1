// The worker under a policy: the host's headers (`_headers`) carry the CSP to page and worker and
// forbid framing; where no header can be sent (GitHub Pages) the worker's own global scope refuses
// other origins; across a whole run no request from page or worker leaves the origin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openApp, foreignRequests } from "./browser.mjs";

test("no request leaves the origin, the worker is sealed, and the headers carry the CSP to the worker", async () => {
  const app = await openApp();
  try {
    const loaderResponse = app.page.waitForResponse((r) => r.url().endsWith("/worker_loader.js"));
    const worker = app.page.waitForEvent("worker");
    await app.page.goto(app.url);
    const csp = (await loaderResponse).headers()["content-security-policy"] ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    await app.page.getByTestId("worker-status").filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });

    const refusals = await (await worker).evaluate(async () => {
      const outcome = async (attempt) => {
        try {
          await attempt();
          return "allowed";
        } catch (e) {
          return e.name;
        }
      };
      const own = self.fetch;
      try {
        self.fetch = () => Promise.resolve("replaced");
      } catch {
        // Strict code may not write a read-only property; sloppy code is ignored.
      }
      return {
        fetch: await outcome(() => fetch("https://example.com/upload")),
        fetchRequest: await outcome(() => fetch(new Request("https://example.com/upload", { method: "POST", body: "x" }))),
        xhr: await outcome(() => new XMLHttpRequest().open("POST", "https://example.com/upload")),
        importScripts: await outcome(() => importScripts("https://example.com/x.js")),
        webSocket: await outcome(() => new WebSocket("wss://example.com/")),
        eventSource: await outcome(() => new EventSource("https://example.com/events")),
        sealed: self.fetch === own,
        ownOrigin: await outcome(async () => (await fetch("worker_loader.js")).text()),
      };
    });
    assert.deepEqual(refusals, {
      fetch: "SecurityError",
      fetchRequest: "SecurityError",
      xhr: "SecurityError",
      importScripts: "SecurityError",
      webSocket: "SecurityError",
      eventSource: "SecurityError",
      sealed: true,
      ownOrigin: "allowed",
    });

    await app.page.getByTestId("demo").click();
    await app.page.getByTestId("dashboard").waitFor({ timeout: 600_000 });
    // The worker's own requests are in the record (its wasm), and none went elsewhere.
    assert.ok(app.requests.some((u) => u.endsWith("/worker_bg.wasm")), "worker requests are recorded");
    assert.deepEqual(foreignRequests(app.requests, app.origin), []);
    assert.deepEqual(app.problems, []);
  } finally {
    await app.close();
  }
});
