import { test, log, openApp } from "../fixtures.mjs";

/** Keyboard only, no mouse (issue 13): `g` + a letter jumps to a part of the page, Tab walks
 *  to a control, Enter / Space act. Kills a DC from the datacenter table (and hears it in
 *  the live region), focuses a DC on the map, cuts a link direction with its handle on the
 *  map (and heals it with Space), switches tabs, and walks and picks keys on the ring. */

/** What has the focus: its data-testid, else its tag and class. */
const active = (t) =>
  t.page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "body";
    return el.getAttribute("data-testid") || `${el.tagName.toLowerCase()}.${el.getAttribute("class") || ""}`;
  });

/** Presses Tab until the focused element's testid matches `re` (at most `max` presses). */
async function tabTo(t, re, max = 60) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    const a = await active(t);
    if (re.test(a)) return a;
    seen.push(a);
    await t.page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${re} in ${max} presses; went through ${seen.join(", ")}`);
}

/** `g` then `letter`: the focus lands on the part `selector` names. */
async function jump(t, letter, selector) {
  await t.page.keyboard.press("g");
  await t.page.keyboard.press(letter);
  await t.waitFor(`focus on ${selector} after g ${letter}`,
    () => t.page.evaluate((s) => document.activeElement === document.querySelector(s), selector), 2_000,
    async () => `focus is on ${await active(t)}`);
}

test("keyboard-only", async ({ t }) => {
  await t.step("load", async () => {
    await openApp(t);
    await t.waitFor("the map", () => t.exists('[data-testid="dc-0"]'), 15_000);
    await t.waitFor("running", () => t.exists("[data-testid=pause]"), 5_000);
  });

  await t.step("g d, Tab to Kill of DC 1, Enter: DC 1 goes down and the live region says so", async () => {
    await jump(t, "d", ".panel.side");
    await tabTo(t, /^toggle-1$/);
    await t.page.keyboard.press("Enter");
    await t.expectAttr('[data-testid="dc-1"]', "data-state", "down", 5_000);
    const name = await t.page.evaluate(() => document.querySelector('[data-testid="dc-row-1"] .dc-pick').childNodes[1].textContent.trim());
    await t.waitFor(`the announcer to say "${name} is down"`,
      async () => (await t.page.textContent("[data-testid=announcer]")).includes(`${name} is down`), 5_000,
      async () => `it says ${JSON.stringify(await t.page.textContent("[data-testid=announcer]"))}`);
    const live = await t.attr("[data-testid=announcer]", "aria-live");
    if (live !== "polite") throw new Error(`announcer aria-live=${live}`);
    // Still focused on the same button, now Revive; Space revives.
    if ((await active(t)) !== "toggle-1") throw new Error(`focus moved to ${await active(t)}`);
    await t.page.keyboard.press(" ");
    await t.expectAttr('[data-testid="dc-1"]', "data-state", "up", 5_000);
  });

  await t.step("g m, Tab to DC 0 on the map, Enter focuses it", async () => {
    await jump(t, "m", ".map-panel");
    await tabTo(t, /^dc-0$/, 10);
    const label = await t.attr('[data-testid="dc-0"]', "aria-label");
    if (!/, (up|down), \d+ rows?, primary of \d+ shards?/.test(label || "")) throw new Error(`dc-0 aria-label ${JSON.stringify(label)}`);
    log(`${t.name}: dc-0 is named "${label}"`);
    await t.page.keyboard.press("Enter");
    await t.expectAttr('[data-testid="dc-0"]', "aria-pressed", "true", 3_000);
    // Enter on the DC did not also act as a shortcut.
    if (!(await t.exists("[data-testid=pause]"))) throw new Error("the run paused");
  });

  let dir = null;
  await t.step("Tab on to a link handle, Enter cuts that direction, Space heals it", async () => {
    const hit = await tabTo(t, /^lane-hit-\d+-\d+$/, 20);
    dir = hit.slice("lane-hit-".length);
    const label = await t.attr(`[data-testid="${hit}"]`, "aria-label");
    if (!/^link .+ → .+, \d+ ms, up$/.test(label || "")) throw new Error(`${hit} aria-label ${JSON.stringify(label)}`);
    log(`${t.name}: ${hit} is named "${label}"`);
    await t.page.keyboard.press("Enter");
    await t.expectAttr(`[data-testid="link-${dir}"]`, "data-cut", "true", 3_000);
    await t.expectAttr(`[data-testid="${hit}"]`, "aria-pressed", "true", 3_000);
    if (!/, cut$/.test((await t.attr(`[data-testid="${hit}"]`, "aria-label")) || "")) throw new Error("the handle's name does not say cut");
    await t.screenshot("cut");
    await t.page.keyboard.press(" ");
    await t.expectAttr(`[data-testid="link-${dir}"]`, "data-cut", "false", 3_000);
    if (!(await t.exists("[data-testid=pause]"))) throw new Error("Space on the handle also paused the run");
  });

  await t.step("g t, Tab to Placement, Enter; Tab to the ring's key, → moves to the next key, Enter picks it", async () => {
    await jump(t, "t", ".tabs-panel");
    await tabTo(t, /^tab-ring$/, 12);
    await t.page.keyboard.press("Enter");
    await t.expectAttr("[data-testid=tab-ring]", "aria-selected", "true", 3_000);
    const first = await tabTo(t, /^ring-key-/, 20);
    await t.page.keyboard.press("ArrowRight");
    const next = await active(t);
    if (!/^ring-key-/.test(next) || next === first) throw new Error(`→ on ${first} moved the focus to ${next}`);
    await t.page.keyboard.press("Enter");
    await t.expectAttr(`[data-testid="${next}"]`, "aria-pressed", "true", 3_000);
    await t.waitFor("the key's replicas", () => t.exists("[data-testid=ring-focus]"), 2_000);
    log(`${t.name}: ${first} → ${next}, picked: "${await t.attr(`[data-testid="${next}"]`, "aria-label")}"`);
  });

  await t.step("g t, Tab to the Event log tab, Enter switches to it", async () => {
    await jump(t, "t", ".tabs-panel");
    await tabTo(t, /^tab-log$/, 12);
    await t.page.keyboard.press("Enter");
    await t.expectAttr("[data-testid=tab-log]", "aria-selected", "true", 3_000);
    await t.waitFor("the log", () => t.exists("[data-testid=log]"), 3_000);
    // The tab pattern's arrows: → opens the next tab (Checker) and focuses it, ← comes back.
    await t.page.keyboard.press("ArrowRight");
    await t.expectAttr("[data-testid=tab-findings]", "aria-selected", "true", 3_000);
    if ((await active(t)) !== "tab-findings") throw new Error(`→ left the focus on ${await active(t)}`);
    await t.page.keyboard.press("ArrowLeft");
    await t.expectAttr("[data-testid=tab-log]", "aria-selected", "true", 3_000);
  });

  await t.step("the cut shows in the event log; space (on the page) pauses", async () => {
    await t.waitFor("a link-cut entry in the log",
      () => t.page.evaluate(() => /cut/i.test(document.querySelector("[data-testid=log]").textContent)), 5_000);
    await t.page.keyboard.press("g");
    await t.page.keyboard.press("c");
    await t.page.keyboard.press(" ");
    await t.waitFor("paused", () => t.exists("[data-testid=play]"), 2_000);
  });
});
