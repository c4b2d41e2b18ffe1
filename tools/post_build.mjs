// Trunk post-build hook: seals the built page for privacy and offline use.
// 1. A Content-Security-Policy that allows no other origin. Trunk's loader is an inline module
//    script, so it is allowed by its hash rather than by 'unsafe-inline'.
// 2. The service worker's precache list (every built file) and a version derived from it, so a
//    second visit works with no network and a new build replaces the old cache.
import { createHash } from "node:crypto";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error("run by Trunk as a post_build hook (TRUNK_STAGING_DIR is unset)");

const sha256 = (text, encoding) => createHash("sha256").update(text).digest(encoding);

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
html = html.replace(/<meta charset="utf-8"\s*\/?>/i, (m) => `${m}\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
if (!html.includes("Content-Security-Policy")) throw new Error("index.html has no <meta charset> to anchor the CSP");
await writeFile(indexPath, html);

async function files(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else out.push(path);
  }
  return out;
}
const built = (await files(staging)).map((p) => relative(staging, p).split("\\").join("/")).filter((p) => p !== "sw.js").sort();
const fingerprint = sha256(
  (await Promise.all(built.map(async (p) => `${p}:${(await stat(join(staging, p))).size}:${sha256(await readFile(join(staging, p)), "hex")}`))).join("\n"),
  "hex",
).slice(0, 16);
const swPath = join(staging, "sw.js");
const sw = (await readFile(swPath, "utf8"))
  .replace(/^const PRECACHE = .*$/m, `const PRECACHE = ${JSON.stringify(["./", ...built])};`)
  .replace(/^const VERSION = .*$/m, `const VERSION = "${fingerprint}";`);
await writeFile(swPath, sw);
console.log(`post_build: CSP with ${inlineScripts.length} inline script hash(es); ${built.length} files precached, version ${fingerprint}`);
