import { test, log, openApp } from "../fixtures.mjs";

/** Reads the breakpoint note: { seq, kind, txn } or null when absent. */
async function breakpointHit(t) {
  return t.page.evaluate(() => {
    const el = document.querySelector("[data-testid=breakpoint-hit]");
    if (!el) return null;
    return { seq: el.getAttribute("data-seq"), kind: el.getAttribute("data-kind"), txn: el.getAttribute("data-txn") };
  });
}

/** Arms `value` (or disarms with "none"). A breakpoint fires once: while running it may
 *  hit before the select is read back, and then the select already reads "none" again, so
 *  a new hit of that kind (after `lastSeq`) also counts as armed. */
async function setBreakpoint(t, value, lastSeq = null) {
  await t.page.locator("[data-testid=breakpoint]").selectOption(value);
  await t.waitFor(`breakpoint select = ${value} (or already hit)`, async () => {
    if ((await t.page.locator("[data-testid=breakpoint]").inputValue()) === value) return true;
    if (value === "none") return false;
    const h = await breakpointHit(t);
    return !!h && h.seq !== lastSeq && h.kind === value;
  }, 2_000);
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
 *  and keeps its locks; reviving the coordinator resolves it (commit). The same on every
 *  seed tried; screenshots of the first seed keep their plain names. */
test("2pc-in-doubt", async ({ t }) => {
  for (const [i, seed] of [5, 11, 2024].entries()) await runSeed(t, seed, i === 0 ? "" : `seed${seed}-`);
});

async function runSeed(t, seed, shot) {
  await t.step(`seed ${seed}: load the app, open the 2PC tab`, async () => {
    await openApp(t, `?seed=${seed}&rate=80`);
    await t.click("[data-testid=tab-txn]");
  });
  let txn = null, coord = null, lastSeq = null;
  for (let attempt = 1; attempt <= 10 && !txn; attempt++) {
    await t.step(`attempt ${attempt}: run to the next 2PC decision`, async () => {
      // Arm it while paused: armed while running, it may fire before Play is pressed, and
      // Play would then run on past that (fire-once) breakpoint.
      if (await t.exists("[data-testid=pause]")) await t.click("[data-testid=pause]");
      await t.waitFor("paused", () => t.exists("[data-testid=play]"), 2_000);
      await setBreakpoint(t, "txn-decision", lastSeq);
      await t.click("[data-testid=play]");
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
        await t.screenshot(`${shot}breakpoint`);
      } else {
        log(`  not a commit with another participant; running to the next decision`);
      }
    });
  }
  if (!txn) throw new Error(`seed ${seed}: no COMMIT decision with a remote participant within 10 breakpoint hits`);
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
    await t.screenshot(`${shot}in-doubt`);
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
