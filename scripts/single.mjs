// Builds one self-contained page from a trunk build: `node scripts/single.mjs [DIST] [OUT]`
// (defaults: dist/ → dist-single/tablestore.html). `make single` runs it after `make dist`.
//
// The page runs opened from disk (file://) with no server and no network: nothing in it
// refers to another file. Its styles, the wasm-bindgen JS glue and the wasm module travel
// as ONE gzip stream, base64 in the page, that Chromium's built-in DecompressionStream
// unpacks at start (no decoder of our own). Why one stream: base64 costs 4/3, so only a
// compressed payload keeps the file near the gzip'd size of dist/.
//
// Invariants:
// - The boot script, the #boot-error fallback and the app root of dist/index.html are kept
//   as they are; only trunk's asset links and its loader script are replaced.
// - The glue is turned from an ES module into a function body by rewriting its `export`
//   statements; the build fails loudly if the glue has a shape this does not know, rather
//   than producing a page that breaks at run time.
// - It prints the sizes it checks against: the single file, and the gzip'd dist/ total.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const DIST = path.resolve(process.argv[2] || path.join(ROOT, "dist"));
const OUT = path.resolve(process.argv[3] || path.join(ROOT, "dist-single", "tablestore.html"));

function die(msg) {
  console.error(`single: ${msg}`);
  process.exit(1);
}

const html = fs.readFileSync(path.join(DIST, "index.html"), "utf8");
const files = fs.readdirSync(DIST);
const one = (re, what) => {
  const found = files.filter((f) => re.test(f));
  if (found.length !== 1) die(`expected one ${what} in ${DIST}, found ${found.length}: ${found.join(", ")}`);
  return found[0];
};
const wasmName = one(/_bg\.wasm$/, "wasm module");
const jsName = one(/^tablestore-playground-[0-9a-f]+\.js$/, "JS glue");
const cssName = one(/^main-[0-9a-f]+\.css$/, "stylesheet");

const css = fs.readFileSync(path.join(DIST, cssName));
const wasm = fs.readFileSync(path.join(DIST, wasmName));
let glue = fs.readFileSync(path.join(DIST, jsName), "utf8");

// ES module → function body returning the loader. wasm-bindgen's `--target web` glue ends
// with `export { initSync, __wbg_init as default };` (older: two statements) and may export
// functions and classes; `import.meta.url` is only its default wasm path, unused here since
// the bytes are passed in.
// The names the glue exports (the explorer's worker entries among them), returned by the
// loader below so the Explore panel's worker can call them.
const exported = [];
glue = glue
  .replace(/^export\s*\{[^}]*\};?\s*$/gm, "")
  .replace(/^export default [^;]+;\s*$/gm, "")
  .replace(/^export (function|class|const|let|async function) (\w+)/gm, (_, kw, name) => {
    exported.push(name);
    return `${kw} ${name}`;
  })
  .replace(/import\.meta\.url/g, "location.href");
if (/^\s*(export|import)\b/m.test(glue)) die(`${jsName} has an export/import this script does not know how to inline`);
if (!/\b__wbg_init\b/.test(glue) || !/\binitSync\b/.test(glue)) die(`${jsName} does not define __wbg_init / initSync`);
glue += `\nreturn { init: __wbg_init, initSync, ${exported.filter((n) => n !== "initSync").join(", ")} };\n`;

// Payload: three length-prefixed parts (u32 little-endian lengths), gzip'd as one stream.
const parts = [css, Buffer.from(glue, "utf8"), wasm];
const header = Buffer.alloc(4 * parts.length);
parts.forEach((p, i) => header.writeUInt32LE(p.length, 4 * i));
const payload = zlib.gzipSync(Buffer.concat([header, ...parts]), { level: 9 }).toString("base64");

// Trunk's own tags: the stylesheet, preload/modulepreload links and the loader module.
let page = html
  .replace(/<link[^>]*rel="(?:stylesheet|modulepreload|preload)"[^>]*>\s*/g, "")
  .replace(/<script type="module"[^>]*>[\s\S]*?<\/script>\s*/g, "");
if (/href="[^"]*\.(?:css|js|wasm)"|src="[^"]*\.(?:js|wasm)"/.test(page)) die("index.html still refers to a file after inlining");

const boot = `<script type="module">
// Unpacks the styles, the glue and the wasm (one gzip stream, see scripts/single.mjs).
try {
  const b64 = document.getElementById("tablestore-payload").textContent.trim();
  const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const raw = new Uint8Array(await new Response(new Blob([bin]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
  const view = new DataView(raw.buffer);
  const lens = [0, 1, 2].map((i) => view.getUint32(4 * i, true));
  let at = 12;
  const take = (n) => raw.subarray(at, (at += n));
  const [css, glue, wasm] = lens.map(take);
  const style = document.createElement("style");
  style.textContent = new TextDecoder().decode(css);
  document.head.appendChild(style);
  const glueText = new TextDecoder().decode(glue);
  // The Explore panel's Web Worker loads the same glue and wasm from here.
  window.__tablestoreSources = { glue: glueText, wasm: wasm.slice() };
  const loader = new Function(glueText)();
  const instance = await loader.init({ module_or_path: wasm });
  dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm: instance } }));
} catch (e) {
  (window.__showBootError || console.error)(String((e && e.stack) || e));
}
</script>
<script type="application/octet-stream" id="tablestore-payload">${payload}</script>
`;
if (!page.includes("</body>")) die("index.html has no </body>");
page = page.replace("</body>", `${boot}</body>`);

fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, page);

const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
const distTotal = files
  .filter((f) => fs.statSync(path.join(DIST, f)).isFile())
  .reduce((sum, f) => sum + gz(fs.readFileSync(path.join(DIST, f))), 0);
const size = fs.statSync(OUT).size;
const ratio = size / distTotal;
console.log(`single: ${path.relative(ROOT, OUT)} ${size} B; dist/ gzip'd total ${distTotal} B; ratio ${ratio.toFixed(2)} (limit 1.40)`);
if (ratio > 1.4) die(`the single file is ${ratio.toFixed(2)}× the gzip'd dist/ (limit 1.4×)`);
