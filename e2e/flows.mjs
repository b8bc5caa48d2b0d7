// Story bodies run in more than one place (the kill-and-revive story runs at the server's
// root, under a sub-path and from the single-file build: see stories/publish.spec.mjs).

import { log } from "./fixtures.mjs";

/** Kill DC 1, watch every other DC's detector go alive → suspect → dead, revive it. `url`: where
 * the page is opened (a path on the stories' server, or a file:// URL). */
export async function killAndRevive(t, url = "/") {
  await t.step("load the app", async () => {
    await t.open(url);
    await t.waitFor("[data-testid=app] to render", () => t.exists("[data-testid=app]"), 30_000);
  });

  await t.step("simulation runs on load", async () => {
    await t.waitFor("[data-testid=sim-time] to appear", () => t.exists("[data-testid=sim-time]"), 10_000);
    const first = await t.simMs();
    await t.waitFor(`sim time to advance past ${first} ms`, async () => (await t.simMs()) > first, 15_000);
  });

  let observers = [];
  const target = "1";
  await t.step("discover datacenters", async () => {
    const ids = await t.dcIds();
    if (ids.length < 2) throw new Error(`expected at least 2 datacenters, found [${ids}]`);
    if (!ids.includes(target)) throw new Error(`no [data-testid="dc-${target}"] among [${ids}]`);
    observers = ids.filter((id) => id !== target);
    log(`  datacenters: [${ids.join(", ")}]; observers of dc-${target}: [${observers.join(", ")}]`);
    await t.expectAttr(`[data-testid="dc-${target}"]`, "data-state", "up", 5_000);
    for (const o of observers) {
      await t.waitFor(`view-${o}-${target} to exist`, () => t.exists(`[data-testid="view-${o}-${target}"]`), 5_000);
    }
    await t.waitFor(
      `every observer to see dc-${target} alive`,
      async () => (await t.views(observers, target)).every((v) => v === "alive"),
      15_000,
    );
  });

  // Record every value each observer's view of the target takes, in the page, so that a
  // short-lived "suspect" is not missed between two polls whatever the speed.
  await t.recordViews(target);

  await t.step(`kill dc-${target}`, async () => {
    await t.click(`[data-testid="toggle-${target}"]`);
    await t.expectAttr(`[data-testid="dc-${target}"]`, "data-state", "down", 5_000);
  });

  await t.step(`every observer declares dc-${target} dead`, async () => {
    await t.waitFor(
      `all of view-{${observers}}-${target} to become "dead"`,
      async () => (await t.views(observers, target)).every((v) => v === "dead"),
      45_000,
      async () => `current views: ${JSON.stringify(await t.views(observers, target))}`,
    );
    const history = await t.viewHistory();
    log(`  view histories: ${JSON.stringify(history)}`);
    const sawSuspectFirst = observers.filter((o) => {
      const h = history[o] || [];
      const s = h.indexOf("suspect");
      return s >= 0 && h.indexOf("dead", s) > s;
    });
    if (sawSuspectFirst.length === 0) {
      throw new Error(`no observer showed "suspect" before "dead": ${JSON.stringify(history)}`);
    }
    await t.screenshot("dead");
  });

  await t.step(`revive dc-${target}`, async () => {
    await t.click(`[data-testid="toggle-${target}"]`);
    await t.expectAttr(`[data-testid="dc-${target}"]`, "data-state", "up", 5_000);
  });

  await t.step(`every observer sees dc-${target} alive again`, async () => {
    await t.waitFor(
      `all of view-{${observers}}-${target} to become "alive"`,
      async () => (await t.views(observers, target)).every((v) => v === "alive"),
      45_000,
      async () => `current views: ${JSON.stringify(await t.views(observers, target))}`,
    );
    const before = await t.simMs();
    await t.waitFor(`sim time to keep advancing past ${before} ms`, async () => (await t.simMs()) > before, 10_000);
  });
}

/** Clicks the theme toggle (auto → light → dark → auto) until `<html data-theme>` is `want`. */
export async function setTheme(t, want) {
  for (let i = 0; i < 3; i++) {
    if ((await t.attr("html", "data-theme")) === want) return;
    await t.click("[data-testid=theme-toggle]");
  }
  await t.expectAttr("html", "data-theme", want, 2_000);
}

/** Turns large type on or off (the header's toggle). */
export async function setLarge(t, on) {
  if ((await t.attr("[data-testid=large-toggle]", "aria-pressed")) !== String(on)) {
    await t.click("[data-testid=large-toggle]");
  }
  await t.expectAttr("[data-testid=large-toggle]", "aria-pressed", String(on), 2_000);
}
