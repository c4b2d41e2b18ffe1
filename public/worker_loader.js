// Starts the pipeline worker, the code that holds the user's file. Relative URLs resolve against
// this script (build-<hash>/worker_loader.js), so the worker always loads its own build's glue and
// wasm, from any sub-path. The wasm-bindgen glue (worker.js) defines the global `wasm_bindgen`.

// The build this worker came from (written by tools/post_build.mjs), for tests and bug reports.
self.rfmBuild = "unbuilt";

// Sealed before any other code runs: the worker may load its own origin's files and nothing else.
// A Content-Security-Policy reaches a worker only through response headers, which GitHub Pages
// cannot send, so the worker's global scope enforces the same rule itself: fetch, XMLHttpRequest,
// importScripts and the Cache API refuse other origins; WebSocket, EventSource, WebTransport and
// FontFace (which loads url() sources) are refused outright. The sealed properties are neither
// writable nor configurable, so no later code can put the originals back. (A dynamic `import()`
// cannot be intercepted from script; the CSP of `_headers` covers it where a host sends it.)
(() => {
  const here = self.location;
  const local = (url) => {
    const parsed = new URL(url, here.href);
    return parsed.origin === here.origin || parsed.protocol === "data:" || parsed.protocol === "blob:";
  };
  const refused = (what, url) => new DOMException(`${what} ${url} refused: the studio's worker connects to no other origin`, "SecurityError");
  const seal = (target, name, value) => Object.defineProperty(target, name, { value, writable: false, configurable: false, enumerable: false });
  const urlOf = (input) => (input instanceof Request ? input.url : String(input));

  const fetchOwn = self.fetch;
  seal(self, "fetch", function fetch(input, init) {
    return local(urlOf(input)) ? fetchOwn.call(self, input, init) : Promise.reject(refused("fetch", urlOf(input)));
  });
  const importOwn = self.importScripts;
  seal(self, "importScripts", function importScripts(...urls) {
    const foreign = urls.find((url) => !local(url));
    if (foreign !== undefined) throw refused("importScripts", foreign);
    return importOwn.apply(self, urls);
  });
  const openOwn = XMLHttpRequest.prototype.open;
  seal(XMLHttpRequest.prototype, "open", function open(method, url, ...rest) {
    if (!local(url)) throw refused("XMLHttpRequest", url);
    return openOwn.call(this, method, url, ...rest);
  });
  // The Cache API exists only in secure contexts (https, localhost).
  for (const method of typeof Cache === "undefined" ? [] : ["add", "addAll"]) {
    const own = Cache.prototype[method];
    seal(Cache.prototype, method, function (requests) {
      const foreign = [].concat(requests).map(urlOf).find((url) => !local(url));
      return foreign === undefined ? own.call(this, requests) : Promise.reject(refused(`Cache.${method}`, foreign));
    });
  }
  for (const name of ["WebSocket", "WebSocketStream", "EventSource", "WebTransport", "FontFace"]) {
    if (name in self) {
      seal(self, name, function () {
        throw refused(name, String(arguments[0]));
      });
    }
  }
})();

importScripts("./worker.js");
// A failed start (the wasm cannot be fetched or compiled) becomes the worker's `error` event, which
// the page listens for; a bare promise rejection would leave the page waiting for the worker.
wasm_bindgen("./worker_bg.wasm").catch((error) => self.reportError(error));
