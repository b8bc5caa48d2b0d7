import { test, log, numAttr, openApp } from "../fixtures.mjs";

/** Add a DC, switch placement, remove the DC: ring moves far fewer rows than modulo. */
test("placement-moves", async ({ t }) => {
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
});
