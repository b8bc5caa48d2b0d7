// End-to-end tests of the built playground (dist/) in headless Debian Chromium.
//
//   node e2e/run.mjs                  run every story (after `make dist`)
//   E2E_STORY=kill node e2e/run.mjs   run the stories whose name contains "kill"
//
// Environment (all optional):
//   E2E_DIST          directory to serve (default: <repo>/dist)
//   E2E_STORY         substring filter on story names
//   E2E_STORY_TIMEOUT_MS  per story budget (default 90000)
//   E2E_TIMEOUT_MS    overall budget (default 30000 + stories × story budget)
//   CHROMIUM          browser executable (default /usr/bin/chromium)
//   E2E_HEADED=1      show the browser (needs a display)
//
// It serves dist/ itself (node:http on 127.0.0.1, ephemeral port), launches Chromium
// through playwright-core (nothing is downloaded: the system browser is used, with a fresh
// temporary profile per launch), runs each story in a fresh browser context, saves a
// screenshot per story to target/screenshots/<story>.png, always closes the browser and
// the server (also on SIGINT/SIGTERM and on the overall timeout), and prints
// `N passed, N failed` as its last line; the exit code is non-zero if any story failed.
//
// Adding a story: append `{ name, run: async (t) => { ... } }` to STORIES below; `t` is the
// story's toolkit (see makeToolkit): t.page, t.step, t.waitFor, t.attr, t.click, ...
// Every page error, console error, visible `[data-testid=error]` banner or visible
// `#boot-error` fails the story that is running.

import http from "node:http";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const DIST = path.resolve(process.env.E2E_DIST || path.join(ROOT, "dist"));
const SCREENSHOTS = path.join(ROOT, "target", "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const STORY_TIMEOUT_MS = Number(process.env.E2E_STORY_TIMEOUT_MS || 90_000);

const CHROMIUM_ARGS = [
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

const t0 = Date.now();
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1).padStart(6) + "s";
const log = (...args) => console.log(`[e2e ${elapsed()}]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Stories
// ---------------------------------------------------------------------------------------

/** Kill DC 1, watch every other DC's detector go alive → suspect → dead, revive it. */
async function killAndRevive(t) {
  await t.step("load the app", async () => {
    await t.open("/");
    await t.waitFor("[data-testid=app] to render", () => t.exists("[data-testid=app]"), 30_000);
  });

  await t.step("simulation runs on load", async () => {
    await t.waitFor("[data-testid=sim-time] to appear", () => t.exists("[data-testid=sim-time]"), 10_000);
    const first = await t.simMs();
    await t.waitFor(`sim time to advance past ${first} ms`, async () => (await t.simMs()) > first, 15_000);
  });

  let observers = [];
  const target = "1";
  await t.step("discover datacenters", async () => {
    const ids = await t.dcIds();
    if (ids.length < 2) throw new Error(`expected at least 2 datacenters, found [${ids}]`);
    if (!ids.includes(target)) throw new Error(`no [data-testid="dc-${target}"] among [${ids}]`);
    observers = ids.filter((id) => id !== target);
    log(`  datacenters: [${ids.join(", ")}]; observers of dc-${target}: [${observers.join(", ")}]`);
    await t.expectAttr(`[data-testid="dc-${target}"]`, "data-state", "up", 5_000);
    for (const o of observers) {
      await t.waitFor(`view-${o}-${target} to exist`, () => t.exists(`[data-testid="view-${o}-${target}"]`), 5_000);
    }
    await t.waitFor(
      `every observer to see dc-${target} alive`,
      async () => (await t.views(observers, target)).every((v) => v === "alive"),
      15_000,
    );
  });

  // Record every value each observer's view of the target takes, in the page, so that a
  // short-lived "suspect" is not missed between two polls whatever the speed.
  await t.recordViews(target);

  await t.step(`kill dc-${target}`, async () => {
    await t.click(`[data-testid="toggle-${target}"]`);
    await t.expectAttr(`[data-testid="dc-${target}"]`, "data-state", "down", 5_000);
  });

  await t.step(`every observer declares dc-${target} dead`, async () => {
    await t.waitFor(
      `all of view-{${observers}}-${target} to become "dead"`,
      async () => (await t.views(observers, target)).every((v) => v === "dead"),
      45_000,
      async () => `current views: ${JSON.stringify(await t.views(observers, target))}`,
    );
    const history = await t.viewHistory();
    log(`  view histories: ${JSON.stringify(history)}`);
    const sawSuspectFirst = observers.filter((o) => {
      const h = history[o] || [];
      const s = h.indexOf("suspect");
      return s >= 0 && h.indexOf("dead", s) > s;
    });
    if (sawSuspectFirst.length === 0) {
      throw new Error(`no observer showed "suspect" before "dead": ${JSON.stringify(history)}`);
    }
    await t.screenshot("dead");
  });

  await t.step(`revive dc-${target}`, async () => {
    await t.click(`[data-testid="toggle-${target}"]`);
    await t.expectAttr(`[data-testid="dc-${target}"]`, "data-state", "up", 5_000);
  });

  await t.step(`every observer sees dc-${target} alive again`, async () => {
    await t.waitFor(
      `all of view-{${observers}}-${target} to become "alive"`,
      async () => (await t.views(observers, target)).every((v) => v === "alive"),
      45_000,
      async () => `current views: ${JSON.stringify(await t.views(observers, target))}`,
    );
    const before = await t.simMs();
    await t.waitFor(`sim time to keep advancing past ${before} ms`, async () => (await t.simMs()) > before, 10_000);
  });
}

const STORIES = [
  { name: "kill-and-revive", run: killAndRevive },
];

// ---------------------------------------------------------------------------------------
// Toolkit handed to each story
// ---------------------------------------------------------------------------------------

class StoryAborted extends Error {}

function makeToolkit({ name, page, baseUrl, state }) {
  const fail = (msg) => {
    throw new Error(msg);
  };

  // Throws if the page reported an error of any kind; cheap enough to run on every poll.
  async function checkHealth() {
    if (state.aborted) throw new StoryAborted("story aborted");
    if (state.errors.length) fail(`page reported an error: ${state.errors[0]}`);
    const problem = await page.evaluate(() => {
      const visible = (el) => el && !el.hidden && (el.checkVisibility ? el.checkVisibility() : true);
      const banner = document.querySelector("[data-testid=error]");
      if (visible(banner)) return `error banner shown: ${banner.textContent.trim().slice(0, 500)}`;
      const boot = document.getElementById("boot-error");
      if (visible(boot)) return `boot error shown: ${boot.textContent.trim().slice(0, 500)}`;
      return null;
    });
    if (problem) fail(problem);
  }

  const t = {
    name,
    page,

    async step(title, fn) {
      log(`${name}: ${title}`);
      await checkHealth();
      await fn();
      await checkHealth();
    },

    async open(urlPath) {
      const resp = await page.goto(baseUrl + urlPath, { waitUntil: "load", timeout: 30_000 });
      if (!resp || !resp.ok()) fail(`GET ${urlPath} answered ${resp ? resp.status() : "nothing"}`);
    },

    /** Polls `cond` (async, truthy = done) every `interval` ms for at most `timeout` ms. */
    async waitFor(what, cond, timeout = 10_000, describe = null, interval = 100) {
      const deadline = Date.now() + timeout;
      let lastErr = null;
      for (;;) {
        await checkHealth();
        try {
          if (await cond()) return;
          lastErr = null;
        } catch (e) {
          if (e instanceof StoryAborted) throw e;
          lastErr = e;
        }
        if (Date.now() >= deadline) {
          let extra = "";
          if (describe) extra = await describe().catch((e) => `(${e.message})`);
          fail(`timed out after ${timeout} ms waiting for ${what}` +
            (extra ? `; ${extra}` : "") + (lastErr ? `; last error: ${lastErr.message}` : ""));
        }
        await sleep(interval);
      }
    },

    exists: (sel) => page.evaluate((s) => document.querySelector(s) !== null, sel),

    attr: (sel, attrName) =>
      page.evaluate(([s, a]) => {
        const el = document.querySelector(s);
        return el ? el.getAttribute(a) : null;
      }, [sel, attrName]),

    async expectAttr(sel, attrName, value, timeout = 10_000) {
      await t.waitFor(`${sel} ${attrName}="${value}"`, async () => (await t.attr(sel, attrName)) === value,
        timeout, async () => `it is ${JSON.stringify(await t.attr(sel, attrName))}`);
    },

    async click(sel, timeout = 5_000) {
      await checkHealth();
      await page.locator(sel).first().click({ timeout });
    },

    async simMs() {
      const v = await t.attr("[data-testid=sim-time]", "data-ms");
      const n = Number(v);
      if (v === null || !Number.isFinite(n)) fail(`[data-testid=sim-time] has data-ms=${JSON.stringify(v)}`);
      return n;
    },

    /** DC ids from `[data-testid="dc-<id>"]`, in numeric order. */
    dcIds: () =>
      page.evaluate(() =>
        Array.from(document.querySelectorAll('[data-testid^="dc-"]'))
          .map((el) => /^dc-(\d+)$/.exec(el.getAttribute("data-testid")))
          .filter(Boolean)
          .map((m) => m[1])
          .filter((v, i, a) => a.indexOf(v) === i)
          .sort((a, b) => Number(a) - Number(b))),

    /** `data-view` of view-<o>-<target> for each observer o (null if missing). */
    views: (observers, target) =>
      page.evaluate(([obs, tg]) => obs.map((o) => {
        const el = document.querySelector(`[data-testid="view-${o}-${tg}"]`);
        return el ? el.getAttribute("data-view") : null;
      }), [observers, target]),

    /** Starts recording, in the page, each change of every view-<o>-<target> cell. */
    recordViews: (target) =>
      page.evaluate((tg) => {
        const history = {};
        const re = new RegExp(`^view-(\\d+)-${tg}$`);
        const scan = () => {
          for (const el of document.querySelectorAll('[data-testid^="view-"]')) {
            const m = re.exec(el.getAttribute("data-testid"));
            if (!m) continue;
            const v = el.getAttribute("data-view");
            const h = (history[m[1]] ||= []);
            if (h[h.length - 1] !== v) h.push(v);
          }
        };
        scan();
        const obs = new MutationObserver(scan);
        obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-view", "data-testid"] });
        window.__e2eViewHistory = history;
      }, target),

    viewHistory: () => page.evaluate(() => window.__e2eViewHistory || {}),

    async screenshot(suffix = "") {
      const file = path.join(SCREENSHOTS, `${name}${suffix ? "-" + suffix : ""}.png`);
      await fsp.mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
      return file;
    },
  };
  return t;
}

// ---------------------------------------------------------------------------------------
// Static server for dist/
// ---------------------------------------------------------------------------------------

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

function startServer(root) {
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://127.0.0.1");
      let rel = decodeURIComponent(url.pathname);
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
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

// ---------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------

let browser = null;
let server = null;
let cleaningUp = null;
let passed = 0;
let failed = 0;
let finishing = false;
let current = null; // { story, page, state } of the story that is running

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

function cleanup() {
  cleaningUp ||= (async () => {
    if (browser) {
      await withTimeout(browser.close(), 10_000, "closing the browser").catch((e) => log(`warning: ${e.message}`));
      browser = null;
    }
    if (server) {
      server.closeAllConnections?.();
      await withTimeout(new Promise((r) => server.close(() => r())), 5_000, "closing the server")
        .catch((e) => log(`warning: ${e.message}`));
      server = null;
    }
  })();
  return cleaningUp;
}

async function runStory(story, baseUrl) {
  const state = { errors: [], aborted: false };
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (err) => state.errors.push(`pageerror: ${err.stack || err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") state.errors.push(`console.error: ${msg.text()}`);
  });
  page.on("crash", () => state.errors.push("page crashed"));
  const t = makeToolkit({ name: story.name, page, baseUrl, state });
  current = { story, page, state, t };
  const started = Date.now();
  let failure = null;
  try {
    await withTimeout(story.run(t), STORY_TIMEOUT_MS, `story ${story.name}`);
    if (state.errors.length) failure = `page reported an error: ${state.errors[0]}`;
  } catch (e) {
    failure = e.message || String(e);
  } finally {
    state.aborted = true;
    try {
      const file = await t.screenshot();
      log(`${story.name}: screenshot ${path.relative(ROOT, file)}`);
    } catch (e) {
      log(`${story.name}: no screenshot (${e.message.split("\n")[0]})`);
    }
    await withTimeout(context.close(), 10_000, "closing the context").catch(() => {});
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (failure) {
    log(`FAIL ${story.name} (${secs}s): ${failure}`);
    for (const e of state.errors.slice(1, 6)) log(`     also: ${e}`);
  } else {
    log(`PASS ${story.name} (${secs}s)`);
  }
  return !failure;
}

async function main() {
  const filter = process.env.E2E_STORY || "";
  const stories = STORIES.filter((s) => s.name.includes(filter));
  if (stories.length === 0) throw new Error(`no story matches E2E_STORY=${JSON.stringify(filter)}`);
  const overallMs = Number(process.env.E2E_TIMEOUT_MS || 30_000 + stories.length * STORY_TIMEOUT_MS);

  const finish = async (code, why) => {
    if (finishing) return;
    finishing = true;
    if (why) log(why);
    if (why && current) {
      // Keep what the page looked like when time ran out / we were interrupted.
      current.state.aborted = true;
      await withTimeout(current.t.screenshot(), 5_000, "screenshot")
        .then((f) => log(`${current.story.name}: screenshot ${path.relative(ROOT, f)}`))
        .catch(() => {});
    }
    await cleanup();
    console.log(`${passed} passed, ${failed + (why ? stories.length - passed - failed : 0)} failed`);
    process.exit(code);
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, () => finish(130, `interrupted by ${sig}`));
  }
  const overall = setTimeout(() => finish(1, `overall timeout of ${overallMs} ms reached`), overallMs);

  if (!fs.existsSync(path.join(DIST, "index.html"))) {
    log(`warning: ${path.relative(ROOT, DIST) || DIST}/index.html not found; run \`make dist\` first`);
  }
  server = await startServer(DIST);
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  log(`serving ${DIST} on ${baseUrl}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: process.env.E2E_HEADED !== "1",
    args: CHROMIUM_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    timeout: 60_000,
  });
  log(`browser: ${CHROMIUM} ${browser.version()}`);

  for (const story of stories) {
    if (await runStory(story, baseUrl)) passed++;
    else failed++;
  }
  clearTimeout(overall);
  await finish(failed ? 1 : 0);
}

main().catch(async (e) => {
  if (finishing) return;
  finishing = true;
  log(`error: ${e.stack || e.message || e}`);
  await cleanup();
  console.log(`${passed} passed, ${Math.max(1, STORIES.length - passed)} failed`);
  process.exit(1);
});
