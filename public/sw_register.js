// Registers the service worker (public/sw.js) and announces a new version instead of swapping
// code under the running page: when a deploy's service worker has installed and waits, a banner
// offers the reload; only then does the new version take over.
(() => {
  if (!("serviceWorker" in navigator)) return;
  // The page's <base> is its build folder (build-<hash>/); the service worker sits one level up,
  // at the site's root, so that its scope covers the entry page of every build.
  const root = new URL("../", document.baseURI);
  let reloading = false;

  function announce(registration) {
    if (document.querySelector("[data-testid=update-banner]")) return;
    const banner = document.createElement("div");
    banner.className = "update-banner";
    banner.setAttribute("role", "status");
    banner.dataset.testid = "update-banner";
    const text = document.createElement("span");
    text.textContent = "A new version is ready \u2014";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Reload";
    button.dataset.testid = "update-reload";
    button.addEventListener("click", () => {
      reloading = true;
      if (registration.waiting) registration.waiting.postMessage("skip-waiting");
      else location.reload();
    });
    banner.append(text, " ", button);
    document.body.prepend(banner);
  }

  // The new service worker took over because this page asked: load the new version.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading) location.reload();
  });

  // Precaching downloads the whole build again (the worker's wasm, plotly.js): on a slow link
  // it would compete with the first load, so it waits until the page's worker has answered
  // (the app dispatches "rfm-studio-worker-ready"), or a minute at most.
  const loaded = new Promise((ok) => {
    addEventListener("rfm-studio-worker-ready", ok, { once: true });
    setTimeout(ok, 60_000);
  });
  loaded
    .then(() => navigator.serviceWorker.register(new URL("sw.js", root), { scope: root.href }))
    .then((registration) => {
      const waits = (worker) => worker?.state === "installed" && navigator.serviceWorker.controller;
      if (waits(registration.waiting)) announce(registration);
      registration.addEventListener("updatefound", () => {
        const worker = registration.installing;
        worker?.addEventListener("statechange", () => waits(worker) && announce(registration));
      });
      // A tab left open for days still learns of a deploy.
      setInterval(() => registration.update().catch(() => {}), 60 * 60 * 1000);
    })
    .catch((error) => console.warn("offline use unavailable: service worker not registered", error));
})();
