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

import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, startServer, withTimeout } from "./lib.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const DIST = path.resolve(process.env.E2E_DIST || path.join(ROOT, "dist"));
const SCREENSHOTS = path.join(ROOT, "target", "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const STORY_TIMEOUT_MS = Number(process.env.E2E_STORY_TIMEOUT_MS || 90_000);



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

// --- UI stories (front end): placement, 2PC blocking, settings validation, scenario
// replay, manual operations, keyboard. They rely on the data-testid contract documented
// at the top of src/ui/mod.rs.

/** Sets the speed slider (0..=1000, log scale: 0 = 0.05×, 434 ≈ 1×, 1000 = 50×). */
async function setSpeed(t, value) {
  await t.page.evaluate((v) => {
    const el = document.querySelector("[data-testid=speed]");
    el.value = String(v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

/** Fills a text input / textarea through real input events. */
async function fill(t, sel, value) {
  await t.page.locator(sel).first().fill(value);
}

async function numAttr(t, sel, name) {
  const v = await t.attr(sel, name);
  const n = Number(v);
  if (v === null || !Number.isFinite(n)) throw new Error(`${sel} has ${name}=${JSON.stringify(v)}`);
  return n;
}

async function openApp(t, query = "") {
  await t.open("/" + query);
  await t.waitFor("[data-testid=app] to render", () => t.exists("[data-testid=app]"), 30_000);
}

/** Add a DC, switch placement, remove the DC: ring moves far fewer rows than modulo. */
async function placementStory(t) {
  await t.step("load the app and open the placement tab", async () => {
    await openApp(t, "?dcs=5&rate=50");
    await t.click("[data-testid=tab-ring]");
    await t.expectAttr("[data-testid=placement-toggle]", "data-placement", "modulo");
    await t.waitFor("some rows written", async () => (await t.exists("[data-testid=\"ring-key-k1\"]")), 5_000);
    await t.page.waitForTimeout(3_000);
  });
  await t.step("add a DC: modulo moves most keys, the ring few", async () => {
    await t.click("[data-testid=add-dc]");
    await t.waitFor("a sixth DC on the map", async () => (await t.dcIds()).length === 6, 5_000);
    await t.waitFor("the moved-rows report", () => t.exists("[data-testid=moved-rows]"), 5_000);
    const keys = await numAttr(t, "[data-testid=moved-rows]", "data-keys");
    const modulo = await numAttr(t, "[data-testid=moved-rows]", "data-modulo");
    const ring = await numAttr(t, "[data-testid=moved-rows]", "data-ring");
    log(`  5 → 6 DCs: ${keys} keys, modulo moved ${modulo}, ring moved ${ring}`);
    if (!(keys > 0 && modulo > ring)) throw new Error(`expected modulo (${modulo}) > ring (${ring}) over ${keys} keys`);
  });
  await t.step("switch to the ring", async () => {
    await t.click("[data-testid=placement-toggle]");
    await t.expectAttr("[data-testid=placement-toggle]", "data-placement", "ring", 5_000);
  });
  await t.step("remove the new DC", async () => {
    const ids = await t.dcIds();
    const added = ids[ids.length - 1];
    await t.click(`[data-testid="remove-dc-${added}"]`);
    await t.waitFor("five DCs again", async () => (await t.dcIds()).length === 5, 5_000);
    const modulo = await numAttr(t, "[data-testid=moved-rows]", "data-modulo");
    const ring = await numAttr(t, "[data-testid=moved-rows]", "data-ring");
    log(`  6 → 5 DCs: modulo moved ${modulo}, ring moved ${ring}`);
    if (!(modulo > ring)) throw new Error(`expected modulo (${modulo}) > ring (${ring})`);
  });
}

/** Reads the breakpoint note: { seq, kind, txn } or null when absent. */
async function breakpointHit(t) {
  return t.page.evaluate(() => {
    const el = document.querySelector("[data-testid=breakpoint-hit]");
    if (!el) return null;
    return { seq: el.getAttribute("data-seq"), kind: el.getAttribute("data-kind"), txn: el.getAttribute("data-txn") };
  });
}

async function setBreakpoint(t, value) {
  await t.page.locator("[data-testid=breakpoint]").selectOption(value);
  await t.waitFor(`breakpoint select = ${value}`, async () =>
    (await t.page.locator("[data-testid=breakpoint]").inputValue()) === value, 2_000);
}

/** States of the participant badges of `txn` shown under the diagram: { dc: state }. */
async function partStates(t, txn) {
  return t.page.evaluate((id) => {
    const out = {};
    for (const b of document.querySelectorAll(`[data-testid^="txn-part-${id}-"]`)) {
      out[b.getAttribute("data-testid").split("-").pop()] = b.getAttribute("data-state");
    }
    return out;
  }, txn);
}

/** Pause at a coordinator's COMMIT decision with the breakpoint (no speed races), kill the
 *  coordinator before the decision leaves: a participant that voted YES becomes "in doubt"
 *  and keeps its locks; reviving the coordinator resolves it (commit). */
async function twoPhaseCommitStory(t) {
  await t.step("load the app, open the 2PC tab", async () => {
    await openApp(t, "?seed=5&rate=80");
    await t.click("[data-testid=tab-txn]");
  });
  let txn = null, coord = null, lastSeq = null;
  for (let attempt = 1; attempt <= 10 && !txn; attempt++) {
    await t.step(`attempt ${attempt}: run to the next 2PC decision`, async () => {
      await setBreakpoint(t, "txn-decision");
      if (await t.exists("[data-testid=play]")) await t.click("[data-testid=play]");
      await t.waitFor("the breakpoint to hit", async () => {
        const h = await breakpointHit(t);
        return h && h.seq !== lastSeq;
      }, 30_000);
      const hit = await breakpointHit(t);
      lastSeq = hit.seq;
      if (hit.kind !== "txn-decision") throw new Error(`breakpoint-hit has data-kind=${hit.kind}`);
      await t.waitFor("paused at the breakpoint", () => t.exists("[data-testid=play]"), 2_000);
      const a = await t.simMs();
      await t.page.waitForTimeout(300);
      if ((await t.simMs()) !== a) throw new Error("time moved while paused at the breakpoint");
      // The decided transaction is selected: its diagram is the one shown.
      await t.waitFor(`the diagram of T${hit.txn}`, async () =>
        (await t.attr("[data-testid=txn-diagram]", "data-txn")) === hit.txn, 3_000);
      const id = hit.txn;
      const c = await t.attr("[data-testid=txn-diagram]", "data-coordinator");
      const state = await t.attr(`[data-testid="txn-${id}"]`, "data-state");
      const parts = await partStates(t, id);
      const others = Object.keys(parts).filter((d) => d !== c);
      log(`  hit #${hit.seq}: T${id} coordinator dc-${c} ${state}; participants ${JSON.stringify(parts)}`);
      if (state === "committed" && others.length > 0) {
        txn = id;
        coord = c;
        await t.screenshot("breakpoint");
      } else {
        log(`  not a commit with another participant; running to the next decision`);
      }
    });
  }
  if (!txn) throw new Error("no COMMIT decision with a remote participant within 10 breakpoint hits");
  await t.step(`kill coordinator dc-${coord} before its decision leaves, then run on`, async () => {
    await t.click(`[data-testid="toggle-${coord}"]`);
    await t.expectAttr(`[data-testid="dc-${coord}"]`, "data-state", "down", 5_000);
    await setBreakpoint(t, "none");
    await t.click("[data-testid=play]");
    await t.waitFor("running", () => t.exists("[data-testid=pause]"), 2_000);
  });
  await t.step("a participant blocks in doubt while the coordinator is down", async () => {
    await t.waitFor(`a participant of T${txn} other than dc-${coord} to be "indoubt"`, async () => {
      const parts = await partStates(t, txn);
      return Object.entries(parts).some(([d, s]) => d !== coord && s === "indoubt");
    }, 45_000, async () => `participants: ${JSON.stringify(await partStates(t, txn))}`);
    log(`  in doubt: ${JSON.stringify(await partStates(t, txn))}`);
    await t.screenshot("in-doubt");
  });
  await t.step("reviving the coordinator resolves it: every participant commits", async () => {
    await t.click(`[data-testid="toggle-${coord}"]`);
    await t.expectAttr(`[data-testid="dc-${coord}"]`, "data-state", "up", 5_000);
    await t.waitFor(`every participant of T${txn} to be "committed"`, async () => {
      const states = Object.values(await partStates(t, txn));
      return states.length > 0 && states.every((s) => s === "committed");
    }, 45_000, async () => `participants: ${JSON.stringify(await partStates(t, txn))}`);
  });
}

/** Reads a data view row: { primary, epoch } or null. */
async function keyRow(t, testid) {
  return t.page.evaluate((id) => {
    const el = document.querySelector(`[data-testid="${id}"]`);
    if (!el) return null;
    return { primary: el.getAttribute("data-primary"), epoch: Number(el.getAttribute("data-epoch")) };
  }, testid);
}

/** Kill a key's primary DC: failover gives the key a new primary under a higher epoch;
 *  the old primary, revived, comes back up as a replica (it steps down). */
async function failoverStory(t) {
  await t.step("load the app (sync replication), open the data tab", async () => {
    await openApp(t, "?seed=3&rate=40&mode=sync");
    await t.click("[data-testid=tab-data]");
    await t.waitFor("rows in the data view", () => t.exists('[data-testid^="data-key-"]'), 15_000);
  });
  let key = null, before = null;
  await t.step("pick a key and read its primary and epoch", async () => {
    // The first row: keys are listed in order, so it stays on the page as rows are added.
    key = await t.attr('[data-testid^="data-key-"]', "data-testid");
    before = await keyRow(t, key);
    if (!before || before.primary === null || !Number.isFinite(before.epoch)) {
      throw new Error(`${key} has no primary / epoch: ${JSON.stringify(before)}`);
    }
    log(`  ${key}: primary dc-${before.primary}, epoch ${before.epoch}`);
  });
  const P = before.primary;
  let after = null;
  await t.step(`kill its primary dc-${P}: the key moves to a new primary`, async () => {
    await t.click(`[data-testid="toggle-${P}"]`);
    await t.expectAttr(`[data-testid="dc-${P}"]`, "data-state", "down", 5_000);
    await setSpeed(t, 767); // ≈ 10×
    await t.waitFor(`${key} to show a primary other than dc-${P} and an epoch above ${before.epoch}`, async () => {
      const r = await keyRow(t, key);
      if (r && r.primary !== P && r.epoch > before.epoch) after = r;
      return !!after;
    }, 60_000, async () => `row: ${JSON.stringify(await keyRow(t, key))}`);
    log(`  ${key}: primary dc-${after.primary}, epoch ${after.epoch}`);
    await t.screenshot("moved");
  });
  await t.step(`revive dc-${P}: it comes back up and the key keeps its new primary`, async () => {
    await t.click(`[data-testid="toggle-${P}"]`);
    await t.expectAttr(`[data-testid="dc-${P}"]`, "data-state", "up", 5_000);
    const from = await t.simMs();
    await t.waitFor("10 s of sim time after the revival", async () => (await t.simMs()) > from + 10_000, 20_000);
    const r = await keyRow(t, key);
    if (!r || r.primary === P || r.primary !== after.primary || r.epoch < after.epoch) {
      throw new Error(`after reviving dc-${P}, ${key} is ${JSON.stringify(r)}; expected primary dc-${after.primary}, epoch ≥ ${after.epoch}`);
    }
    await t.expectAttr(`[data-testid="dc-${P}"]`, "data-state", "up", 1_000);
  });
}

/** Cut one direction of a link: DC1 stops hearing DC0 while DC0 (and everybody else)
 *  still hears fine — the detectors' views disagree; healing brings them back. */
async function linkCutStory(t) {
  const others = ["2", "3", "4"];
  const clickLink = (sel) => t.page.locator(sel).first().dispatchEvent("click");
  await t.step("load five DCs, everybody alive", async () => {
    await openApp(t, "?dcs=5&rate=20");
    await t.waitFor("every view of dc-0 alive", async () =>
      (await t.views(["1", ...others], "0")).every((v) => v === "alive"), 15_000);
    await t.expectAttr('[data-testid="link-0-1"]', "data-cut", "false", 5_000);
  });
  await t.step("cut the link dc-0 → dc-1 (one direction)", async () => {
    await clickLink('[data-testid="link-0-1"]');
    await t.expectAttr('[data-testid="link-0-1"]', "data-cut", "true", 3_000);
    await t.expectAttr('[data-testid="link-1-0"]', "data-cut", "false", 1_000);
    await setSpeed(t, 600); // ≈ 3.6×
  });
  await t.step("dc-1 declares dc-0 dead while the others still see it alive", async () => {
    const describe = async () => `view-1-0=${(await t.views(["1"], "0"))[0]}, view-0-1=${(await t.views(["0"], "1"))[0]}, ` +
      `others of dc-0: ${JSON.stringify(await t.views(others, "0"))}`;
    await t.waitFor("view-1-0 to be dead", async () => (await t.views(["1"], "0"))[0] === "dead", 45_000, describe);
    const v01 = (await t.views(["0"], "1"))[0];
    const rest = await t.views(others, "0");
    if (v01 !== "alive" || !rest.every((v) => v === "alive")) throw new Error(`views do not disagree as expected: ${await describe()}`);
    log(`  ${await describe()}`);
    await t.screenshot("disagree");
  });
  await t.step("heal the link: dc-1 sees dc-0 alive again", async () => {
    await clickLink('[data-testid="link-0-1"]');
    await t.expectAttr('[data-testid="link-0-1"]', "data-cut", "false", 3_000);
    await t.waitFor("view-1-0 to be alive", async () => (await t.views(["1"], "0"))[0] === "alive", 30_000);
  });
}

/** Bad settings are refused next to the field and change nothing; a good one applies. */
async function settingsStory(t) {
  await t.step("open settings", async () => {
    await openApp(t);
    await t.click("[data-testid=tab-settings]");
  });
  await t.step("a non-number is refused in place", async () => {
    await fill(t, "[data-testid=field-dead_after_ms]", "soon");
    await t.click("[data-testid=settings-apply]");
    await t.waitFor("field error", () => t.exists("[data-testid=field-error-dead_after_ms]"), 3_000);
  });
  await t.step("an inconsistent value is refused with the validator's message", async () => {
    await fill(t, "[data-testid=field-dead_after_ms]", "1000");
    await t.click("[data-testid=settings-apply]");
    await t.waitFor("silences error", () => t.exists("[data-testid=field-error-suspect_after_ms]"), 3_000);
    const text = await t.page.locator("[data-testid=field-error-suspect_after_ms]").textContent();
    if (!/suspect/i.test(text)) throw new Error(`unexpected message: ${text}`);
    const before = await t.simMs();
    await t.waitFor("the sim keeps running", async () => (await t.simMs()) > before, 5_000);
  });
  await t.step("a valid value applies", async () => {
    await fill(t, "[data-testid=field-dead_after_ms]", "6000");
    await t.click("[data-testid=settings-apply]");
    await t.waitFor("applied", () => t.exists("[data-testid=settings-error-ok]"), 3_000);
    if (await t.exists("[data-testid^=field-error-]")) throw new Error("a field error remained");
    await t.click("[data-testid=tab-log]");
    await t.waitFor("the setting change in the log", async () =>
      t.page.evaluate(() => [...document.querySelectorAll("[data-category=config]")].some((e) => /6000/.test(e.textContent))), 3_000);
  });
}

/** Export a run with a kill, import it: the replay kills the same DC at the same time. */
async function scenarioStory(t) {
  await t.step("run, kill dc-2, export", async () => {
    await openApp(t, "?seed=11");
    await t.waitFor("sim time > 1 s", async () => (await t.simMs()) > 1_000, 10_000);
    await t.click('[data-testid="toggle-2"]');
    await t.expectAttr('[data-testid="dc-2"]', "data-state", "down", 5_000);
    await t.click("[data-testid=tab-settings]");
    await t.click("[data-testid=scenario-export]");
    await t.waitFor("exported JSON", async () => /"Kill"/.test(await t.page.locator("[data-testid=scenario-text]").inputValue()), 3_000);
  });
  await t.step("import it: a new run that replays the kill", async () => {
    const text = await t.page.locator("[data-testid=scenario-text]").inputValue();
    const killAt = JSON.parse(text).commands.find((c) => c.cmd.Kill !== undefined).at;
    await t.click("[data-testid=scenario-import]");
    await t.waitFor("the run restarted", async () => (await t.simMs()) < killAt, 5_000);
    await t.expectAttr('[data-testid="dc-2"]', "data-state", "up", 2_000);
    await t.waitFor("the replayed kill", async () => (await t.attr('[data-testid="dc-2"]', "data-state")) === "down", 15_000);
    const now = await t.simMs();
    if (now < killAt) throw new Error(`killed at ${now} ms, before ${killAt} ms`);
  });
  await t.step("garbage is refused in place and the run continues", async () => {
    await fill(t, "[data-testid=scenario-text]", "{ not json");
    await t.click("[data-testid=scenario-import]");
    await t.waitFor("scenario error", () => t.exists("[data-testid=scenario-error]"), 3_000);
    await t.expectAttr('[data-testid="dc-2"]', "data-state", "down", 1_000);
  });
}

/** A manual PutRow succeeds; a malformed key is refused next to the form. */
async function operateStory(t) {
  await t.step("open the operate tab", async () => {
    await openApp(t);
    await t.click("[data-testid=tab-operate]");
  });
  await t.step("a malformed key is refused", async () => {
    await fill(t, "[data-testid=op-key]", "");
    await t.click("[data-testid=op-issue]");
    await t.waitFor("op error", () => t.exists("[data-testid=op-error]"), 3_000);
  });
  await t.step("PutRow k5 from DC 0 succeeds", async () => {
    await fill(t, "[data-testid=op-key]", "k5");
    await fill(t, "[data-testid=op-columns]", "name=bob, balance=7");
    await t.click("[data-testid=op-issue]");
    await t.waitFor("a result", async () => ["true", "false"].includes(await t.attr("[data-testid=op-result]", "data-ok")), 10_000);
    await t.expectAttr("[data-testid=op-result]", "data-ok", "true", 100);
  });
}

/** Space pauses and resumes, s steps, ? shows the shortcuts. */
async function keyboardStory(t) {
  await t.step("load", async () => {
    await openApp(t);
    await t.waitFor("running", () => t.exists("[data-testid=pause]"), 5_000);
  });
  await t.step("space pauses; time stands still", async () => {
    await t.page.locator("h1").click();
    await t.page.keyboard.press(" ");
    await t.waitFor("paused", () => t.exists("[data-testid=play]"), 2_000);
    const a = await t.simMs();
    await t.page.waitForTimeout(500);
    if ((await t.simMs()) !== a) throw new Error("time moved while paused");
  });
  await t.step("s steps exactly one event", async () => {
    const a = await t.simMs();
    for (let i = 0; i < 20; i++) await t.page.keyboard.press("s");
    await t.waitFor("time moved forward by steps", async () => (await t.simMs()) > a, 2_000);
  });
  await t.step("? shows the shortcuts, Escape hides them", async () => {
    await t.page.keyboard.press("?");
    await t.waitFor("help", () => t.exists("[data-testid=help]"), 2_000);
    await t.page.keyboard.press("Escape");
    await t.waitFor("help closed", async () => !(await t.exists("[data-testid=help]")), 2_000);
    await t.page.keyboard.press(" ");
    await t.waitFor("running again", () => t.exists("[data-testid=pause]"), 2_000);
  });
}

const STORIES = [
  { name: "kill-and-revive", run: killAndRevive },
  { name: "placement-moves", run: placementStory },
  { name: "2pc-in-doubt", run: twoPhaseCommitStory },
  { name: "failover-moves-key", run: failoverStory },
  { name: "link-cut-views-disagree", run: linkCutStory },
  { name: "settings-validation", run: settingsStory },
  { name: "scenario-replay", run: scenarioStory },
  { name: "manual-operation", run: operateStory },
  { name: "keyboard", run: keyboardStory },
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
