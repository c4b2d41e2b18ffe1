// A minimal static file server for dist/ (used by `./run serve` and the end-to-end tests).
// Loopback only; no directory listings; `?`-queries ignored. It behaves like the hosts the studio
// is published on: the site may live under a sub-path (a GitHub Pages project site is served from
// /<repository>/), and the headers of the build's `_headers` file are sent, as Netlify and
// Cloudflare Pages do.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".csv": "text/csv; charset=utf-8",
  ".gz": "application/gzip",
};

/**
 * The rules of a `_headers` file (Netlify / Cloudflare Pages syntax: a path pattern on its own
 * line, `Name: value` lines indented below it; `*` matches any rest of the path).
 */
export function parseHeaders(text) {
  const rules = [];
  for (const line of text.split("\n")) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    if (!/^\s/.test(line)) {
      const pattern = new RegExp(`^${line.trim().replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
      rules.push({ pattern, headers: {} });
    } else {
      const colon = line.indexOf(":");
      rules.at(-1).headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return rules;
}

function headersFile(root) {
  try {
    return parseHeaders(readFileSync(join(root, "_headers"), "utf8"));
  } catch (e) {
    if (e.code === "ENOENT") return [];
    throw e;
  }
}

/** What GitHub Pages compresses when the browser accepts gzip: text and wasm. */
const COMPRESSED = new Set([".html", ".js", ".mjs", ".css", ".wasm", ".json", ".webmanifest", ".svg", ".csv"]);

/**
 * Serves `root` under the path prefix `base` on host:port; resolves to the listening server.
 * `server.switchTo(otherRoot)` publishes another build in place, as a deploy does. With `gzip`,
 * text and wasm go out gzip-compressed to browsers that accept it, as GitHub Pages sends them.
 */
export function serve(root, host = "127.0.0.1", port = 0, { base = "/", gzip = false } = {}) {
  const compressed = new Map();
  if (!base.startsWith("/") || !base.endsWith("/")) throw new Error(`base must start and end with "/": ${base}`);
  let site = { root: resolve(root), rules: headersFile(root) };
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://x");
      if (url.pathname === base.slice(0, -1)) {
        res.writeHead(301, { location: base }).end();
        return;
      }
      if (!url.pathname.startsWith(base)) throw Object.assign(new Error("outside the site"), { code: "ENOENT" });
      const path = "/" + decodeURIComponent(url.pathname.slice(base.length));
      const { root: dir, rules } = site;
      let file = normalize(join(dir, path));
      if (!file.startsWith(dir) || path === "/_headers") throw Object.assign(new Error("outside root"), { code: "ENOENT" });
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      let body = await readFile(file);
      const headers = { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" };
      if (gzip && COMPRESSED.has(extname(file)) && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
        if (!compressed.has(file)) compressed.set(file, gzipSync(body, { level: 6 }));
        body = compressed.get(file);
        headers["content-encoding"] = "gzip";
      }
      for (const rule of rules) if (rule.pattern.test(path)) Object.assign(headers, rule.headers);
      res.writeHead(200, headers);
      res.end(body);
    } catch (e) {
      res.writeHead(e.code === "ENOENT" || e.code === "ENOTDIR" ? 404 : 500).end();
    }
  });
  server.switchTo = (next) => {
    site = { root: resolve(next), rules: headersFile(next) };
  };
  return new Promise((ok) => server.listen(port, host, () => ok(server)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [root = "dist", host = "127.0.0.1", port = "8080"] = process.argv.slice(2);
  const base = process.env.RFM_E2E_BASE ?? "/";
  const server = await serve(root, host, Number(port), { base });
  const { address, port: bound } = server.address();
  console.log(`serving ${resolve(root)} on http://${address}:${bound}${base}`);
}
