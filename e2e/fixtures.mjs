// The fixture every story uses: `test` is @playwright/test's, extended with `t`, the
// story's toolkit (t.page, t.step, t.waitFor, t.attr, t.click, t.screenshot, ...), and a
// baseURL pointing at the static server that playwright.config.mjs started.
//
// Health: every page error, console error, crash, visible `[data-testid=error]` banner or
// visible `#boot-error` fails the story that is running — checked before and after each
// t.step, on every t.waitFor poll, before every t.click and once more at the end.
// At the end (pass or fail) the page is saved to target/screenshots/<story>.png and
// attached to the HTML report.
//
// The stories rely on the data-testid contract documented in the UI's source (src/ui/).
//
// Adding a story: a new stories/<story>.spec.mjs with
//   import { test } from "../fixtures.mjs";
//   test("<story>", async ({ t }) => { await t.step("...", async () => { ... }); });

import fsp from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test as base } from "@playwright/test";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SCREENSHOTS = path.join(ROOT, "target", "screenshots");

const t0 = Date.now();
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1).padStart(6) + "s";
export const log = (...args) => console.log(`[e2e ${elapsed()}]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class StoryAborted extends Error {}

function makeToolkit({ name, page, state }) {
  const fail = (msg) => {
    const err = new Error(msg);
    Error.captureStackTrace(err, fail); // point at the story's line, not here
    throw err;
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
    checkHealth,

    async step(title, fn) {
      log(`${name}: ${title}`);
      await base.step(title, async () => {
        await checkHealth();
        await fn();
        await checkHealth();
      });
    },

    /** Opens `urlPath` relative to the server (baseURL). */
    async open(urlPath) {
      const resp = await page.goto(urlPath, { waitUntil: "load", timeout: 30_000 });
      // A file:// page has no HTTP answer to check.
      if (urlPath.startsWith("file:")) return;
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
      // A full-page capture of a scrolled page draws the sticky header where it stuck,
      // in the middle of the image: capture from the top, as the page first loads.
      await page.evaluate(() => window.scrollTo(0, 0)).catch(() => {});
      await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
      return file;
    },
  };
  return t;
}

export const test = base.extend({
  // The static server's port, captured from serve.mjs's output by the config's webServer.
  baseURL: async ({}, use) => {
    if (!process.env.E2E_PORT) throw new Error("E2E_PORT is not set: run the stories through playwright.config.mjs");
    await use(`http://127.0.0.1:${process.env.E2E_PORT}`);
  },

  t: async ({ page }, use, testInfo) => {
    const name = testInfo.title;
    const state = { errors: [], aborted: false };
    page.on("pageerror", (err) => state.errors.push(`pageerror: ${err.stack || err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") state.errors.push(`console.error: ${msg.text()}`);
    });
    page.on("crash", () => state.errors.push("page crashed"));
    const t = makeToolkit({ name, page, state });
    const started = Date.now();

    await use(t);

    // The story returned (or threw, or timed out): one last health check if it passed,
    // then the final screenshot whatever happened.
    let failure = null;
    if (testInfo.status === testInfo.expectedStatus) {
      failure = await checkHealthAtEnd(t, state);
    }
    state.aborted = true;
    try {
      const file = await t.screenshot();
      await testInfo.attach("screenshot", { path: file, contentType: "image/png" });
      log(`${name}: screenshot ${path.relative(ROOT, file)}`);
    } catch (e) {
      log(`${name}: no screenshot (${e.message.split("\n")[0]})`);
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const ok = !failure && testInfo.status === testInfo.expectedStatus;
    log(`${ok ? "PASS" : "FAIL"} ${name} (${secs}s)`);
    for (const e of state.errors.slice(0, 6)) log(`     page: ${e}`);
    if (failure) throw new Error(failure);
  },
});

async function checkHealthAtEnd(t, state) {
  try {
    await t.checkHealth();
    return null;
  } catch (e) {
    return e.message;
  }
}

// --- Helpers shared by several stories ---------------------------------------------------

/** Sets the speed slider (0..=1000, log scale: 0 = 0.05×, 434 ≈ 1×, 1000 = 50×). */
export async function setSpeed(t, value) {
  await t.page.evaluate((v) => {
    const el = document.querySelector("[data-testid=speed]");
    el.value = String(v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

/** Fills a text input / textarea through real input events. */
export async function fill(t, sel, value) {
  await t.page.locator(sel).first().fill(value);
}

export async function numAttr(t, sel, name) {
  const v = await t.attr(sel, name);
  const n = Number(v);
  if (v === null || !Number.isFinite(n)) throw new Error(`${sel} has ${name}=${JSON.stringify(v)}`);
  return n;
}

export async function openApp(t, query = "") {
  await t.open("/" + query);
  await t.waitFor("[data-testid=app] to render", () => t.exists("[data-testid=app]"), 30_000);
}
