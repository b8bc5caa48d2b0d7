import { test, fill, openApp } from "../fixtures.mjs";

/** A manual PutRow succeeds; a malformed key is refused next to the form. */
test("manual-operation", async ({ t }) => {
  await t.step("open the operate tab", async () => {
    await openApp(t);
    await t.click("[data-testid=tab-operate]");
  });
  await t.step("a malformed key is refused", async () => {
    await fill(t, "[data-testid=op-key]", "");
    await t.click("[data-testid=op-issue]");
    await t.waitFor("op error", () => t.exists("[data-testid=op-error]"), 3_000);
  });
  // A key the workload never writes (it uses k0…k<keys>): no transaction can hold its lock.
  await t.step("PutRow kmanual from DC 0 succeeds", async () => {
    await fill(t, "[data-testid=op-key]", "kmanual");
    await fill(t, "[data-testid=op-columns]", "name=bob, balance=7");
    await t.click("[data-testid=op-issue]");
    await t.waitFor("a result", async () => ["true", "false"].includes(await t.attr("[data-testid=op-result]", "data-ok")), 10_000);
    await t.expectAttr("[data-testid=op-result]", "data-ok", "true", 100);
  });
});
