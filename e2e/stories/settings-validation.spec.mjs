import { test, fill, openApp } from "../fixtures.mjs";

/** Bad settings are refused next to the field and change nothing; a good one applies. */
test("settings-validation", async ({ t }) => {
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
});
