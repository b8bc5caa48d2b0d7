import { test, log, openApp, setSpeed } from "../fixtures.mjs";

/** Cut one direction of a link: DC1 stops hearing DC0 while DC0 (and everybody else)
 *  still hears fine — the detectors' views disagree; healing brings them back. */
test("link-cut-views-disagree", async ({ t }) => {
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
});
