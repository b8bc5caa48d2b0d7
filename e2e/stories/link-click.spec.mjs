import { test, log, openApp } from "../fixtures.mjs";

/** Every link direction has its own click target: on the 5-DC and the 8-DC map, for each
 *  direction, the centre of its handle (`lane-hit-<from>-<to>`) is topmost at that point
 *  (document.elementFromPoint), a real mouse click there flips `data-cut` of that direction
 *  and of no other, and a second click restores it. Paused, so nothing else changes. */

/** `data-cut` of every `link-<a>-<b>`: { "a-b": "true" | "false" }. */
const cuts = (t) =>
  t.page.evaluate(() => {
    const out = {};
    for (const el of document.querySelectorAll('[data-testid^="link-"]')) {
      const m = /^link-(\d+-\d+)$/.exec(el.getAttribute("data-testid"));
      if (m) out[m[1]] = el.getAttribute("data-cut");
    }
    return out;
  });

/** The handle's centre in page pixels and what is topmost there. */
const probe = (t, dir) =>
  t.page.evaluate((d) => {
    const h = document.querySelector(`[data-testid="lane-hit-${d}"]`);
    if (!h) return null;
    const r = h.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const top = document.elementFromPoint(x, y);
    const owner = top && top.closest("[data-testid]");
    return { x, y, w: r.width, h: r.height, ok: !!top && h.contains(top), topmost: owner ? owner.getAttribute("data-testid") : String(top && top.tagName) };
  }, dir);

/** Lists the (sorted) ids of the `[data-testid^=dc-]` elements. */
async function everyDirection(t, dcs) {
  const ids = await t.dcIds();
  if (ids.length !== dcs) throw new Error(`expected ${dcs} DCs on the map, found ${ids.length}`);
  return ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => `${a}-${b}`));
}

async function clickEvery(t, dcs, query) {
  await t.step(`${dcs} DCs: load ${query}, pause`, async () => {
    await openApp(t, query);
    await t.waitFor("the map", () => t.exists('[data-testid="dc-0"]'), 15_000);
    if (await t.exists("[data-testid=pause]")) await t.click("[data-testid=pause]");
    await t.waitFor("paused", () => t.exists("[data-testid=play]"), 3_000);
  });
  const dirs = await everyDirection(t, dcs);
  await t.step(`${dcs} DCs: all ${dirs.length} directions uncut, one handle each`, async () => {
    const before = await cuts(t);
    if (Object.keys(before).length !== dirs.length) throw new Error(`${Object.keys(before).length} link lanes, want ${dirs.length}`);
    const cut = Object.entries(before).filter(([, v]) => v !== "false");
    if (cut.length) throw new Error(`cut at the start: ${JSON.stringify(cut)}`);
    const handles = await t.page.evaluate(() => document.querySelectorAll('[data-testid^="lane-hit-"]').length);
    if (handles !== dirs.length) throw new Error(`${handles} handles, want ${dirs.length}`);
    await t.screenshot(`${dcs}dcs`);
  });
  await t.step(`${dcs} DCs: click each direction's handle at its centre`, async () => {
    const blocked = [];
    for (const d of dirs) {
      const p = await probe(t, d);
      if (!p) throw new Error(`no [data-testid="lane-hit-${d}"]`);
      if (!p.ok) {
        blocked.push(`${d} (covered by ${p.topmost})`);
        continue;
      }
      if (p.w < 8 || p.h < 8) throw new Error(`handle ${d} is ${p.w.toFixed(1)} × ${p.h.toFixed(1)} px: too small to click`);
      const before = await cuts(t);
      await t.page.mouse.click(p.x, p.y);
      await t.waitFor(`link-${d} to be cut`, async () => (await cuts(t))[d] === "true", 3_000);
      const after = await cuts(t);
      const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
      if (changed.length !== 1 || changed[0] !== d) throw new Error(`clicking the handle of ${d} changed ${JSON.stringify(changed)}`);
      // Still on top with the direction cut (the handle is redrawn in red).
      const q = await probe(t, d);
      if (!q.ok || Math.abs(q.x - p.x) > 0.5 || Math.abs(q.y - p.y) > 0.5) throw new Error(`handle ${d} moved or got covered when cut: ${JSON.stringify(q)}`);
      await t.page.mouse.click(q.x, q.y);
      await t.waitFor(`link-${d} to be healed`, async () => (await cuts(t))[d] === "false", 3_000);
      const back = await cuts(t);
      const still = Object.keys(back).filter((k) => back[k] !== before[k]);
      if (still.length) throw new Error(`after the second click on ${d}, changed: ${JSON.stringify(still)}`);
    }
    if (blocked.length) throw new Error(`${blocked.length} of ${dirs.length} handles are not topmost at their centre: ${blocked.join(", ")}`);
    log(`  ${dirs.length} of ${dirs.length} directions: handle topmost at its centre, one click cuts exactly it, a second heals it`);
  });
  await t.step(`${dcs} DCs: still paused`, async () => {
    if (!(await t.exists("[data-testid=play]"))) throw new Error("the run is no longer paused");
  });
}

test("link-click", async ({ t }) => {
  await clickEvery(t, 5, "?seed=3&play=0");
  await clickEvery(t, 8, "?seed=3&dcs=8&play=0");
});
