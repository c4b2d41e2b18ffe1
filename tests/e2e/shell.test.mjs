// The page loads, its worker answers, nothing errors and nothing leaves the origin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openApp, foreignRequests, screenshot } from "./browser.mjs";

test("the page renders and the pipeline worker answers a ping", async () => {
  const app = await openApp();
  try {
    await app.page.goto(app.url);
    await app.page.getByTestId("privacy").waitFor();
    const badge = app.page.getByTestId("worker-status");
    await badge.filter({ hasText: /^(WebGPU|CPU):/ }).waitFor({ timeout: 60_000 });
    await screenshot(app.page, "shell");
    assert.deepEqual(app.problems, []);
    assert.deepEqual(foreignRequests(app.requests, app.origin), []);
  } finally {
    await app.close();
  }
});
