import { test, openApp, numAttr } from "../fixtures.mjs";

// Issue 11: the timeline. Scrubbing back shows the exact past and forward again the same
// present (the trace hash says so); acting in the past forks and keeps the old branch; a
// share link reopens the same run at the same instant in another browser; a broken link
// is named in the banner and the page still runs.

const TL = "[data-testid=timeline]";

/** The trace hash the page shows (16 hex digits). */
async function traceHash(t) {
  const h = (await t.page.locator("[data-testid=trace-hash]").textContent()).trim();
  if (!/^[0-9a-f]{16}$/.test(h)) throw new Error(`trace-hash shows ${JSON.stringify(h)}`);
  return h;
}

/** Moves the scrubber to `ms` the way a drag ends: a new value and an input event. */
async function scrubTo(t, ms) {
  await t.page.evaluate(([sel, v]) => {
    const el = document.querySelector(sel);
    el.value = String(v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, [TL, ms]);
  await t.waitFor(`sim time ${ms}`, async () => (await t.simMs()) === ms, 5_000,
    async () => `it is ${await t.simMs()}`);
}

async function branchName(t) {
  return (await t.page.locator("[data-testid=branch]").textContent()).trim();
}

/** Keys go to the page, not to a control that has focus. */
async function press(t, key) {
  await t.page.evaluate(() => document.activeElement && document.activeElement.blur());
  await t.page.keyboard.press(key);
}

test("timeline", async ({ t, browser }) => {
  let T = 0;
  let H = "";
  await t.step("run a while, pause, note the instant and the trace hash", async () => {
    await openApp(t, "?seed=7");
    await t.waitFor("3 s of simulated time", async () => (await t.simMs()) > 3_000, 20_000);
    await t.click("[data-testid=pause]");
    await t.waitFor("paused", () => t.exists("[data-testid=play]"), 2_000);
    T = await t.simMs();
    H = await traceHash(t);
    const max = await numAttr(t, TL, "data-max");
    if (max !== T) throw new Error(`the scrubber ends at ${max}, the run stands at ${T}`);
  });

  await t.step("scrub back: the past; forward to T: the same present", async () => {
    await scrubTo(t, 1_000);
    if ((await traceHash(t)) === H) throw new Error("the hash did not change going back");
    const max = await numAttr(t, TL, "data-max");
    if (max !== T) throw new Error(`going back moved the end: ${max} (was ${T})`);
    await scrubTo(t, T);
    const h = await traceHash(t);
    if (h !== H) throw new Error(`at ${T} again the hash is ${h}, was ${H}`);
  });

  await t.step("keys: Home, End, ← and → (one event), Shift+← (one second), also on the scrubber", async () => {
    await press(t, "Home");
    await t.waitFor("Home: the start", async () => (await t.simMs()) === 0, 3_000);
    await press(t, "End");
    await t.waitFor("End: the end", async () => (await t.simMs()) === T, 3_000);
    if ((await traceHash(t)) !== H) throw new Error("End is not the same present");
    const n = await numAttr(t, TL, "data-events");
    await press(t, "ArrowLeft");
    await t.waitFor("← one event back", async () => (await numAttr(t, TL, "data-events")) === n - 1, 3_000);
    await press(t, "ArrowRight");
    await t.waitFor("→ one event forward", async () => (await numAttr(t, TL, "data-events")) === n, 3_000);
    if ((await traceHash(t)) !== H) throw new Error("one event back and forth is not the same present");
    await press(t, "End");
    await press(t, "Shift+ArrowLeft");
    await t.waitFor("Shift+← one second back", async () => (await t.simMs()) === T - 1_000, 3_000,
      async () => `it is ${await t.simMs()}`);
    // With the scrubber focused, the same keys (not the range's own 1 ms steps).
    await t.page.locator(TL).focus();
    await t.page.keyboard.press("End");
    await t.waitFor("End on the scrubber", async () => (await t.simMs()) === T, 3_000);
    await t.page.keyboard.press("ArrowLeft");
    await t.waitFor("← on the scrubber: one event back", async () => (await numAttr(t, TL, "data-events")) === n - 1, 3_000);
  });

  await t.step("markers: decisions are marked; a click goes there", async () => {
    await t.waitFor("a marker", () => t.exists("[data-testid^=timeline-marker-]"), 3_000);
    const m = t.page.locator("[data-testid^=timeline-marker-][data-kind=decision]").first();
    const ms = Number(await m.getAttribute("data-ms"));
    await m.dispatchEvent("click");
    await t.waitFor(`the marker's instant ${ms}`, async () => (await t.simMs()) === ms, 3_000);
  });

  let forkHash = "";
  let forkMs = 0;
  await t.step("act in the past: a new branch, the old one kept", async () => {
    await scrubTo(t, 2_000);
    if ((await branchName(t)) !== "main") throw new Error(`branch ${await branchName(t)} before acting`);
    await t.click("[data-testid=toggle-1]");
    await t.expectAttr("[data-testid=dc-1]", "data-state", "down", 3_000);
    await t.waitFor("a new branch", async () => (await branchName(t)) !== "main", 3_000);
    const note = await t.page.locator("[data-testid=fork-note]").textContent();
    if (!/main keeps its future/.test(note)) throw new Error(`the fork note says: ${note}`);
    const names = await t.page.locator("[data-testid=branch-select] option").evaluateAll((os) => os.map((o) => o.value));
    if (!names.includes("main") || names.length !== 2) throw new Error(`branches ${JSON.stringify(names)}`);
    if (!(await t.exists("[data-testid^=timeline-marker-][data-kind=fault]"))) throw new Error("no fault marker for the kill");
    forkHash = await traceHash(t);
    forkMs = await t.simMs();
    await t.screenshot("fork");
  });

  await t.step("share: the link opens the same run at the same instant elsewhere", async () => {
    await t.click("[data-testid=share-link]");
    await t.waitFor("a share url", async () => (await t.page.locator("[data-testid=share-url]").inputValue()).includes("#run="), 3_000);
    const url = await t.page.locator("[data-testid=share-url]").inputValue();
    const ctx = await browser.newContext();
    try {
      const p = await ctx.newPage();
      await p.goto(url, { waitUntil: "load" });
      await p.waitForSelector("[data-testid=trace-hash]", { timeout: 30_000 });
      const got = await p.evaluate(() => ({
        hash: document.querySelector("[data-testid=trace-hash]").textContent.trim(),
        ms: Number(document.querySelector("[data-testid=sim-time]").getAttribute("data-ms")),
        error: document.querySelector("[data-testid=error]")?.textContent ?? null,
        paused: document.querySelector("[data-testid=play]") !== null,
      }));
      if (got.error) throw new Error(`the link shows an error: ${got.error}`);
      if (got.hash !== forkHash || got.ms !== forkMs) {
        throw new Error(`opened at ${got.ms} with hash ${got.hash}; shared at ${forkMs} with ${forkHash}`);
      }
      if (!got.paused) throw new Error("a shared run opens paused");
    } finally {
      await ctx.close();
    }
  });

  await t.step("back on main: the old future is whole", async () => {
    await t.page.locator("[data-testid=branch-select]").selectOption("main");
    await t.waitFor("main", async () => (await branchName(t)) === "main", 3_000);
    await press(t, "End");
    await t.waitFor("End of main", async () => (await t.simMs()) === T, 3_000);
    if ((await traceHash(t)) !== H) throw new Error("main's end is not what it was");
  });

  // The banner is what these links must show: each step reads it and dismisses it (a
  // banner left visible fails the story's health check).
  const broken = [["garbage", "#run=garbage"]];
  await t.step("make a truncated link", async () => {
    await t.click("[data-testid=share-link]");
    const url = await t.page.locator("[data-testid=share-url]").inputValue();
    const frag = url.slice(url.indexOf("#"));
    broken.push(["truncated", frag.slice(0, Math.floor(frag.length / 2))]);
  });
  for (const [what, frag] of broken) {
    await t.step(`a ${what} link is named; the page still runs`, async () => {
      await t.page.goto("about:blank");
      await t.page.goto("/?seed=3" + frag, { waitUntil: "load" });
      const banner = t.page.locator("[data-testid=error]");
      await banner.waitFor({ timeout: 30_000 });
      const text = await banner.textContent();
      if (!/link/i.test(text)) throw new Error(`the banner says: ${text}`);
      await t.page.locator("[data-testid=error-dismiss]").click();
      await banner.waitFor({ state: "detached", timeout: 3_000 });
    });
    await t.step(`after the ${what} link, play runs`, async () => {
      if (await t.exists("[data-testid=play]")) await t.click("[data-testid=play]");
      const a = await t.simMs();
      await t.waitFor("sim time advances", async () => (await t.simMs()) > a, 10_000);
    });
  }
});
