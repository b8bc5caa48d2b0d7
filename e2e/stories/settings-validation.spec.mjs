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

/** Issue 15, item 8: enumerations are menus. Every table's replication mode is a <select>
 *  offering async, semisync, sync and quorum1…quorumR; a choice applies. */
test("settings-validation: replication mode is a menu", async ({ t }) => {
  await t.step("open settings", async () => {
    await openApp(t, "?r=3");
    await t.click("[data-testid=tab-settings]");
  });
  await t.step("field-mode-0 is a select with every mode", async () => {
    const f = await t.page.evaluate(() => {
      const el = document.querySelector("[data-testid=field-mode-0]");
      return el && { tag: el.tagName, values: [...(el.options || [])].map((o) => o.value), value: el.value };
    });
    if (!f || f.tag !== "SELECT") throw new Error(`field-mode-0 is not a select: ${JSON.stringify(f)}`);
    const want = ["async", "semisync", "sync", "quorum1", "quorum2", "quorum3"];
    if (JSON.stringify(f.values) !== JSON.stringify(want)) throw new Error(`choices ${JSON.stringify(f.values)}, want ${JSON.stringify(want)}`);
    if (f.value !== "async") throw new Error(`users starts async, the menu shows ${f.value}`);
    for (const sel of ["[data-testid=field-placement]", "[data-testid=field-read_policy]", "[data-testid=field-read_consistency]"]) {
      const tag = await t.page.evaluate((s) => document.querySelector(s)?.tagName, sel);
      if (tag !== "SELECT") throw new Error(`${sel} is ${tag}, not a select`);
    }
  });
  await t.step("choosing quorum2 applies", async () => {
    await t.page.locator("[data-testid=field-mode-0]").selectOption("quorum2");
    await t.click("[data-testid=settings-apply]");
    await t.waitFor("applied", () => t.exists("[data-testid=settings-error-ok]"), 3_000);
    await t.click("[data-testid=tab-log]");
    await t.waitFor("the setting change in the log, in plain words", async () =>
      t.page.evaluate(() => [...document.querySelectorAll("[data-category=config]")].some((e) => /users replication quorum2/.test(e.textContent))), 3_000);
  });
});
