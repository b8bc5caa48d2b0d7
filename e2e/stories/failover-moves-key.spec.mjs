import { test, log, openApp, setSpeed } from "../fixtures.mjs";

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
test("failover-moves-key", async ({ t }) => {
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
});
