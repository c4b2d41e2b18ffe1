// Trunk post-build hook: seals the built page for privacy, offline use and safe updates.
// 1. One folder per build: every built file except index.html, sw.js and _headers moves to
//    build-<hash>/, where <hash> is a content hash of the whole build, and index.html's <base>
//    points there. Every relative URL the page, its workers and plotly.js ask for then names its
//    build, so a page and the workers it starts later always run one build's code, whichever
//    build the server (or the service worker's cache) holds by then.
// 2. A Content-Security-Policy that allows no other origin: a meta tag for the page (GitHub Pages
//    sends no headers) and a `_headers` file for hosts that read one (Netlify, Cloudflare Pages),
//    which also reaches the Web Worker (a worker takes its policy from its script's response
//    headers, never from the page's meta tag) and forbids framing. Trunk's loader is an inline
//    module script, so it is allowed by its hash rather than by 'unsafe-inline'.
// 3. The service worker's precache list and build version (see public/sw.js), and the build
//    version in the page (<meta name="rfm-build">) and the worker loader (self.rfmBuild).
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error("run by Trunk as a post_build hook (TRUNK_STAGING_DIR is unset)");
/** Files that stay at the site's root: the entry page, the service worker and the host's headers. */
const AT_ROOT = new Set(["index.html", "sw.js", "_headers"]);

const sha256 = (text, encoding) => createHash("sha256").update(text).digest(encoding);

async function files(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else out.push(path);
  }
  return out;
}
const relativePaths = async (dir) => (await files(dir)).map((p) => relative(dir, p).split("\\").join("/")).sort();

// The build's identity: every file but the service worker, which only receives the result.
const hashed = (await relativePaths(staging)).filter((p) => p !== "sw.js");
const version = sha256((await Promise.all(hashed.map(async (p) => `${p}:${sha256(await readFile(join(staging, p)), "hex")}`))).join("\n"), "hex").slice(0, 16);
const buildDir = `build-${version}`;

const indexPath = join(staging, "index.html");
let html = await readFile(indexPath, "utf8");
const inlineScripts = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
const scriptHashes = inlineScripts.map((s) => `'sha256-${sha256(s, "base64")}'`).join(" ");
const policy = [
  "default-src 'none'",
  `script-src 'self' 'wasm-unsafe-eval' ${scriptHashes}`,
  // plotly.js injects its own <style> elements.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
].join("; ");

const base = /<base href="\.\/"\s*\/?>/;
if (!base.test(html)) throw new Error('index.html has no <base href="./"> (Trunk\'s public_url must be "./")');
html = html.replace(base, `<base href="./${buildDir}/" />`);
html = html.replace(/<meta charset="utf-8"\s*\/?>/i, (m) => `${m}\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />\n    <meta name="rfm-build" content="${version}" />`);
if (!html.includes("Content-Security-Policy")) throw new Error("index.html has no <meta charset> to anchor the CSP");
await writeFile(indexPath, html);

await writeFile(
  join(staging, "_headers"),
  [
    "# Read by hosts that take headers from the site (Netlify, Cloudflare Pages); GitHub Pages cannot",
    "# send headers, there the page's meta tag and the worker's sealed global scope stand in.",
    "/*",
    `  Content-Security-Policy: ${policy}; frame-ancestors 'none'`,
    "  X-Content-Type-Options: nosniff",
    "  Referrer-Policy: no-referrer",
    "  Cross-Origin-Opener-Policy: same-origin",
    "/sw.js",
    "  Cache-Control: no-cache",
    "/",
    "  Cache-Control: no-cache",
    "/index.html",
    "  Cache-Control: no-cache",
    "",
  ].join("\n"),
);

await mkdir(join(staging, buildDir));
for (const entry of await readdir(staging)) {
  if (!AT_ROOT.has(entry) && entry !== buildDir) await rename(join(staging, entry), join(staging, buildDir, entry));
}
const loaderPath = join(staging, buildDir, "worker_loader.js");
const loader = await readFile(loaderPath, "utf8");
if (!/^self\.rfmBuild = .*$/m.test(loader)) throw new Error("worker_loader.js has no `self.rfmBuild = …` line");
await writeFile(loaderPath, loader.replace(/^self\.rfmBuild = .*$/m, `self.rfmBuild = "${version}";`));

const precache = ["./", ...(await relativePaths(join(staging, buildDir))).map((p) => `${buildDir}/${p}`)];
const swPath = join(staging, "sw.js");
const sw = (await readFile(swPath, "utf8"))
  .replace(/^const PRECACHE = .*$/m, `const PRECACHE = ${JSON.stringify(precache)};`)
  .replace(/^const VERSION = .*$/m, `const VERSION = "${version}";`);
await writeFile(swPath, sw);
console.log(`post_build: build ${version} in ${buildDir}/; CSP with ${inlineScripts.length} inline script hash(es); ${precache.length} URLs precached`);
