import { test, openApp, fill, numAttr, log } from "../fixtures.mjs";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// Issue 16 item 6: the Explore panel. The real code's small configuration explored to the
// end in a Web Worker (no violation, every sometimes-property reached) while the page keeps
// drawing frames; a bigger run cancelled; a seeded bug's violation found, its
// counterexample loaded into the timeline (the checker's finding there) and its replay
// link reopening it.

const ST = "[data-testid=explore-states]";

/** Starts counting animation frames in the page. */
async function countFrames(t) {
  await t.page.evaluate(() => {
    window.__e2eFrames = 0;
    const tick = () => {
      window.__e2eFrames += 1;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}
const frames = (t) => t.page.evaluate(() => window.__e2eFrames);

async function runToEnd(t, timeout) {
  await t.click("[data-testid=explore-run]");
  await t.waitFor("the exploration to start", async () => (await t.attr(ST, "data-done")) !== null, 10_000);
  await t.expectAttr(ST, "data-done", "true", timeout);
}

/** What the run took, for the report: states, seconds, the worker's wasm memory, the page's JS heap. */
async function measure(t, what) {
  const m = await t.page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const mem = performance.memory ? performance.memory.usedJSHeapSize : null;
    return {
      states: el.getAttribute("data-states"),
      seconds: el.getAttribute("data-seconds"),
      wasmBytes: el.getAttribute("data-wasm-bytes"),
      pageHeap: mem,
    };
  }, ST);
  log(`${what}: ${m.states} states in ${m.seconds} s; worker wasm memory ${(m.wasmBytes / 2 ** 20).toFixed(1)} MiB; page JS heap ${m.pageHeap === null ? "?" : (m.pageHeap / 2 ** 20).toFixed(1)} MiB`);
  return m;
}

test("explore", async ({ t }) => {
  await t.step("open the page paused, on the Explore tab", async () => {
    await openApp(t, "?play=0");
    await t.click("[data-testid=tab-explore]");
    await t.waitFor("the Explore panel", () => t.exists("[data-testid=explore] [data-testid=explore-run]"), 5_000);
  });

  await t.step("bad fields are named and start nothing", async () => {
    await fill(t, "[data-testid=explore-field-dcs]", "9");
    await t.click("[data-testid=explore-run]");
    await t.waitFor("the field's message", async () =>
      /DCs must be between 2 and 5/.test((await t.page.locator("[data-testid=explore-error]").textContent().catch(() => "")) || ""), 5_000);
    if (await t.exists(ST)) throw new Error("a refused configuration started a run");
    await fill(t, "[data-testid=explore-field-dcs]", "3");
  });

  await t.step("the real code, small: explored to the end in a worker, the page drawing frames", async () => {
    await t.page.selectOption("[data-testid=explore-preset]", "real-small");
    await countFrames(t);
    const f0 = await frames(t);
    await runToEnd(t, 120_000);
    const f1 = await frames(t);
    if (!(f1 > f0)) throw new Error(`no animation frame during the exploration (${f0} → ${f1})`);
    log(`frames drawn during the exploration: ${f1 - f0}`);
    await t.expectAttr("[data-testid=explore-mode]", "data-mode", "worker", 1_000);
    if ((await numAttr(t, ST, "data-states")) < 100) throw new Error("too few states");
    const props = await t.page.evaluate(() =>
      Array.from(document.querySelectorAll('[data-testid^="explore-property-"]')).map((el) => [
        el.getAttribute("data-testid").replace("explore-property-", ""),
        el.getAttribute("data-result"),
      ]));
    if (props.length < 5) throw new Error(`only ${props.length} properties shown`);
    const bad = props.filter(([, r]) => r !== "holds" && r !== "reached");
    if (bad.length) throw new Error(`not holds / reached: ${JSON.stringify(bad)}`);
    for (const p of ["commit", "abort", "failover", "in-doubt", "recovery"]) {
      await t.expectAttr(`[data-testid=explore-property-${p}]`, "data-result", "reached", 1_000);
    }
    if (await t.exists("[data-testid=explore-counterexample]")) throw new Error("a counterexample for the real code");
    await measure(t, "real-small");
  });

  await t.step("the issue's configuration: every ordering, to the end, the same states as natively", async () => {
    await t.page.selectOption("[data-testid=explore-preset]", "real-issue");
    await runToEnd(t, 180_000);
    for (const p of ["atomicity", "durability", "stale-read", "divergence", "stuck-in-doubt"]) {
      await t.expectAttr(`[data-testid=explore-property-${p}]`, "data-result", "holds", 1_000);
    }
    for (const p of ["commit", "abort", "failover", "in-doubt", "recovery"]) {
      await t.expectAttr(`[data-testid=explore-property-${p}]`, "data-result", "reached", 1_000);
    }
    await t.expectAttr(ST, "data-truncated", "false", 1_000);
    const m = await measure(t, "the issue's configuration (3 DCs, 2 keys, 1 txn, 1 write, ≤ 1 crash, ≤ 1 cut)");
    // The same search natively (the runner `make test` built for the sweep), when present.
    const cli = fileURLToPath(new URL("../../target/release/tablestore-sim", import.meta.url));
    if (existsSync(cli)) {
      const r = spawnSync(cli, ["explore", "--dfs", "--all"], { encoding: "utf8", timeout: 120_000 });
      const native = /^states: (\d+)$/m.exec(r.stdout || "");
      if (!native) throw new Error(`the native explorer printed no state count: ${r.stdout} ${r.stderr}`);
      if (Number(native[1]) !== Number(m.states)) throw new Error(`${m.states} states in the page, ${native[1]} natively`);
      log(`native: ${native[1]} states, the same as in the page`);
    } else {
      log(`no native runner at ${cli}: state count not compared`);
    }
  });

  await t.step("a bigger run is cancelled: it stops where it was", async () => {
    await fill(t, "[data-testid=explore-field-writes]", "1");
    await fill(t, "[data-testid=explore-field-cuts]", "1");
    await t.click("[data-testid=explore-run]");
    await t.waitFor("some states", async () => (await numAttr(t, ST, "data-states").catch(() => 0)) > 50, 30_000);
    await t.expectAttr("[data-testid=explore-run]", "data-running", "true", 1_000);
    await t.click("[data-testid=explore-run]");
    await t.expectAttr(ST, "data-cancelled", "true", 2_000);
    await t.expectAttr(ST, "data-done", "false", 1_000);
    const n = await numAttr(t, ST, "data-states");
    await t.page.waitForTimeout(500);
    const m = await numAttr(t, ST, "data-states");
    if (m !== n) throw new Error(`states went on after cancel: ${n} → ${m}`);
    await t.expectAttr("[data-testid=explore-run]", "data-running", "false", 1_000);
  });

  let href = "";
  await t.step("a seeded bug: the violation, its counterexample in the timeline", async () => {
    await t.page.selectOption("[data-testid=explore-preset]", "bug:two-primaries-after-cut");
    await runToEnd(t, 60_000);
    await t.expectAttr("[data-testid=explore-property-durability]", "data-result", "violated", 1_000);
    const cx = "[data-testid=explore-counterexample]";
    await t.expectAttr(cx, "data-property", "durability", 1_000);
    const steps = await numAttr(t, cx, "data-steps");
    if (steps < 1 || steps > 20) throw new Error(`${steps} steps`);
    if (!(await t.exists("[data-testid=explore-diagram] [data-testid=explore-step-0]"))) throw new Error("no sequence diagram");
    await t.expectAttr(cx, "data-loaded", "true", 2_000);
    // The timeline now runs the counterexample, paused at its end, the checker's finding in it.
    await t.expectAttr("[data-testid=findings-count]", "data-violations", "true", 10_000);
    const last = await numAttr(t, `[data-testid=explore-step-${steps - 1}]`, "data-ms");
    if ((await t.simMs()) !== last) throw new Error(`the timeline stands at ${await t.simMs()}, the counterexample ends at ${last}`);
    await measure(t, "bug two-primaries-after-cut");
    href = await t.attr("[data-testid=explore-replay-link]", "href");
    if (!/#run=.+&bug=two-primaries-after-cut$/.test(href)) throw new Error(`replay link ${href}`);
    await t.page.locator(cx).scrollIntoViewIfNeeded();
    await t.screenshot("counterexample");
  });

  await t.step("the replay link reopens the run with the bug and the finding", async () => {
    const p2 = await t.page.context().newPage();
    try {
      await p2.goto(href, { waitUntil: "load" });
      await p2.waitForSelector("[data-testid=findings-count][data-violations=true]", { timeout: 20_000 });
      if (await p2.locator("[data-testid=error]").count()) throw new Error("the link opened with an error banner");
    } finally {
      await p2.close();
    }
  });
});

// The one-file page (scripts/single.mjs) opened from disk: the worker loads the glue text
// and wasm bytes the page inlined.
test("explore-single-file", async ({ t }) => {
  const path = await import("node:path");
  const fs = await import("node:fs");
  const { fileURLToPath, pathToFileURL } = await import("node:url");
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
  const single = path.resolve(process.env.E2E_SINGLE || path.join(root, "dist-single", "tablestore.html"));
  if (!fs.existsSync(single)) throw new Error(`${single} not found: run \`make single\` (or make dist) first`);
  await t.step("open the single file, explore the real code, small, to the end", async () => {
    await t.open(pathToFileURL(single).href + "?play=0");
    await t.waitFor("[data-testid=app] to render", () => t.exists("[data-testid=app]"), 30_000);
    await t.click("[data-testid=tab-explore]");
    await runToEnd(t, 120_000);
    await t.expectAttr("[data-testid=explore-mode]", "data-mode", "worker", 1_000);
    for (const p of ["commit", "abort", "failover", "in-doubt", "recovery"]) {
      await t.expectAttr(`[data-testid=explore-property-${p}]`, "data-result", "reached", 1_000);
    }
    await t.expectAttr("[data-testid=explore-property-durability]", "data-result", "holds", 1_000);
    await measure(t, "single file, real-small");
  });
});
