import { test, openApp } from "../fixtures.mjs";

/** Space pauses and resumes, s steps, ? shows the shortcuts. */
test("keyboard", async ({ t }) => {
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
});
