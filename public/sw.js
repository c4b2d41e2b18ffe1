// Service worker: after the first visit the studio works with no network at all, and a deploy
// never swaps code under a running page.
// PRECACHE and VERSION are written by tools/post_build.mjs at build time. Every file but the
// entry page lives under build-<VERSION>/ (a content hash of the build), so a URL names one
// build's file for good: a page of build A, and every worker it starts, asks only for build A's
// URLs, answered from build A's cache whichever service worker is in charge.
const PRECACHE = [];
const VERSION = "unbuilt";
const CACHE = `rfm-studio-${VERSION}`;
/** Caches kept on activation: this build's and the one before, which open pages may still run. */
const KEEP = 2;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload` bypasses the HTTP cache (GitHub Pages lets it keep files for 10 minutes), so the
      // precache cannot mix a stale entry page into this build.
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
      // The first install takes over at once: nothing runs yet that a new version could disturb.
      // An update waits until the page says the user chose to reload (see sw_register.js).
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
  if (event.data === "version") event.source?.postMessage({ version: VERSION });
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Cache names are listed in creation order; older builds than the last KEEP go.
      const ours = (await caches.keys()).filter((k) => k.startsWith("rfm-studio-"));
      const stale = ours.filter((k) => k !== CACHE).slice(0, Math.max(0, ours.length - KEEP));
      await Promise.all(stale.map((k) => caches.delete(k)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(request.mode === "navigate" ? entryPage(request) : buildFile(request));
});

/** The entry page, network first (it names the newest build), this build's copy when offline. */
async function entryPage(request) {
  let response;
  try {
    response = await fetch(request, { cache: "no-cache" });
    if (response.ok) return response;
  } catch {
    // Offline: the cached copy answers.
  }
  return (await (await caches.open(CACHE)).match("./")) ?? response ?? Response.error();
}

/** A build file: its URL names its build, so any build's cache may answer it, else the network. */
async function buildFile(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).pathname.includes("/build-")) (await caches.open(CACHE)).put(request, response.clone());
  return response;
}
