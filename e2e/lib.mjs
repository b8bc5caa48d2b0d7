// Shared by the e2e stories (playwright.config.mjs, serve.mjs) and the measurements
// (frametime.mjs, soak.mjs, seek.mjs): the static server for dist/, the Chromium binary and
// the flags that work on this machine, a promise timeout, and a measurement's browser.

import http from "node:http";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";

/** The system browser (Debian's chromium package); nothing is ever downloaded. */
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--disable-extensions",
];

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Serves `root` on 127.0.0.1 at `port` (0: an ephemeral one); resolves to the http.Server. */
/** The folder the server also publishes the page under, as a school's web space or a
 * project-pages site would (`http://host/course/week3/playground/`). */
export const SUBPATH = "/course/week3/playground/";

/** Serves `root` at `/` and, the same files, at SUBPATH. */
export function startServer(root, port = 0) {
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://127.0.0.1");
      let rel = decodeURIComponent(url.pathname);
      if (rel.startsWith(SUBPATH)) rel = rel.slice(SUBPATH.length - 1);
      if (rel.endsWith("/")) rel += "index.html";
      const file = path.resolve(root, "." + rel);
      if (file !== root && !file.startsWith(root + path.sep)) {
        res.writeHead(403).end("forbidden");
        return;
      }
      let stat = await fsp.stat(file).catch(() => null);
      if (!stat || !stat.isFile()) {
        if (rel === "/favicon.ico") {
          res.writeHead(204).end();
        } else {
          res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${rel}`);
        }
        return;
      }
      res.writeHead(200, {
        "content-type": MIME[path.extname(file).toLowerCase()] || "application/octet-stream",
        "content-length": stat.size,
        "cache-control": "no-store",
      });
      if (req.method === "HEAD") res.end();
      else fs.createReadStream(file).pipe(res);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

/** For a measurement script: serves `dist` and launches Chromium with a fresh profile
 * (1600 × 1000, CHROMIUM_ARGS plus `extraArgs`). Resolves to `{ page, base, browser,
 * profile, close }` (`profile`: the user data dir); `close()` ends the browser and the server. */
export async function openMeasurement(dist, name, extraArgs = []) {
  if (!fs.existsSync(path.join(dist, "index.html"))) throw new Error(`no ${dist}/index.html: run make dist first`);
  // The browser API of the playwright-core that @playwright/test bundles: no test runner.
  const { chromium } = await import("@playwright/test");
  const os = await import("node:os");
  const server = await startServer(dist);
  const base = `http://127.0.0.1:${server.address().port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1600, height: 1000 },
  });
  const page = browser.pages()[0] || (await browser.newPage());
  const close = async () => {
    await browser.close().catch(() => {});
    server.closeAllConnections?.();
    server.close();
  };
  return { page, base, browser, profile, close };
}
