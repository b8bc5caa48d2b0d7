import { test, fill, openApp } from "../fixtures.mjs";

/** Export a run with a kill, import it: the replay kills the same DC at the same time. */
test("scenario-replay", async ({ t }) => {
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
});
