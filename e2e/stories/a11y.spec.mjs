import fsp from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import { test, log, openApp, SCREENSHOTS } from "../fixtures.mjs";
import { setTheme, setLarge } from "../flows.mjs";

/** Accessibility of the built page (issue 13), checked with axe-core (npm) in each theme at
 *  a projector's 1280 × 720 and a phone's 390 × 844:
 *  - axe finds no serious or critical violation (WCAG 2.x A/AA rules and best practices;
 *    colour contrast included), on the first view and on every tab;
 *  - the page never scrolls sideways at 390 px, nor at 1280 × 720 with large type, and the
 *    DC table's Kill / Revive buttons lie inside their card;
 *  - large type enlarges the map's labels too;
 *  - the lessons list and an open lesson (issue 12) pass axe too, at 1280 × 720 (light; dark
 *    with large type) and 390 × 844, without sideways scroll;
 *  - screenshots: target/screenshots/projector-1280x720-large-dark.png, phone-390x844.png,
 *    lesson-1280x720-large-dark.png and lesson-390x844.png.
 *  The run is paused before each check, so axe sees a still page. */

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");

const PROJECTOR = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };


/** axe-core's violations on the page (or inside `context`): [{ id, impact, nodes, targets }]. */
async function axe(t, context = null) {
  if (!(await t.page.evaluate(() => !!window.axe))) await t.page.addScriptTag({ path: AXE });
  return t.page.evaluate(async (ctx) => {
    const r = await window.axe.run(ctx ? document.querySelector(ctx) : document, {
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      targets: v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}${n.failureSummary ? " — " + n.failureSummary.split("\n").slice(1, 2).join("").trim() : ""}`),
    }));
  }, context);
}

const serious = (vs) => vs.filter((v) => v.impact === "serious" || v.impact === "critical");
const summary = (vs) => vs.map((v) => `${v.id} (${v.impact}) ×${v.nodes}`).join(", ") || "none";

/** How far the page scrolls sideways, in CSS px (0 = it fits). */
const overflowX = (t) =>
  t.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

async function pause(t) {
  if (await t.exists("[data-testid=pause]")) await t.click("[data-testid=pause]");
  await t.waitFor("paused", () => t.exists("[data-testid=play]"), 3_000);
}

async function shot(t, file, fullPage = false) {
  await fsp.mkdir(SCREENSHOTS, { recursive: true });
  const p = path.join(SCREENSHOTS, file);
  await t.page.screenshot({ path: p, fullPage, timeout: 10_000 });
  log(`${t.name}: screenshot ${path.relative(path.resolve(SCREENSHOTS, "..", ".."), p)}`);
}

/** The elements sticking out furthest on the right (to say what makes the page scroll). */
const widest = (t) =>
  t.page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    return Array.from(document.querySelectorAll("body *"))
      .map((el) => [el, el.getBoundingClientRect().right])
      .filter(([, r]) => r > vw + 0.5)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([el, r]) => `${el.tagName.toLowerCase()}${el.getAttribute("data-testid") ? "[" + el.getAttribute("data-testid") + "]" : "." + (el.getAttribute("class") || "").split(" ")[0]} → ${r.toFixed(0)}`);
  });

/** Kill / Revive buttons whose box sticks out of the side panel (or the viewport). */
const clippedToggles = (t) =>
  t.page.evaluate(() => {
    const side = document.querySelector(".panel.side");
    if (!side) return ["no .panel.side"];
    const s = side.getBoundingClientRect();
    const vw = document.documentElement.clientWidth;
    return Array.from(document.querySelectorAll('[data-testid^="toggle-"]'))
      .map((b) => [b.getAttribute("data-testid"), b.getBoundingClientRect()])
      .filter(([, r]) => r.left < s.left - 0.5 || r.right > s.right + 0.5 || r.right > vw + 0.5)
      .map(([id, r]) => `${id} spans ${r.left.toFixed(0)}..${r.right.toFixed(0)}, panel ${s.left.toFixed(0)}..${s.right.toFixed(0)}`);
  });

/** Rendered font size (CSS px, after the SVG's scaling) of the first DC name on the map. */
const mapLabelPx = (t) =>
  t.page.evaluate(() => {
    const el = document.querySelector('[data-testid="dc-0"]')?.parentElement.querySelector('.dc-name');
    return el ? el.getBoundingClientRect().height : 0;
  });

test("a11y", async ({ t }) => {
  const found = [];
  // Every check runs (so one run measures them all); the story fails at the end if any failed.
  const problems = [];
  const check = async (what, context = null) => {
    const vs = await axe(t, context);
    log(`${t.name}: axe ${what}: ${summary(vs)}`);
    for (const v of vs) for (const n of v.targets) log(`      ${v.id}: ${n}`);
    found.push([what, vs]);
  };

  await t.step("load, pause", async () => {
    await t.page.setViewportSize(PROJECTOR);
    await openApp(t);
    await t.waitFor("the map", () => t.exists('[data-testid="dc-0"]'), 15_000);
    // Let some traffic and transactions appear, so the 2PC diagram is drawn.
    await t.waitFor("a transaction", () => t.exists('[data-testid^="txn-"][data-status]'), 20_000);
    await pause(t);
  });

  for (const theme of ["light", "dark"]) {
    for (const vp of [PROJECTOR, PHONE]) {
      const what = `${theme} ${vp.width}x${vp.height}`;
      await t.step(`${what}: axe, no sideways scroll at 390`, async () => {
        await t.page.setViewportSize(vp);
        await setTheme(t, theme);
        await check(what);
        const over = await overflowX(t);
        log(`${t.name}: ${what}: horizontal overflow ${over} px${over > 0 ? "; widest: " + (await widest(t)).join(", ") : ""}`);
        if (vp === PHONE && over > 0) problems.push(`${what}: the page scrolls sideways by ${over} px`);
      });
    }
  }

  for (const theme of ["light", "dark"]) {
    await t.step(`${theme} 1280x720: axe on every tab`, async () => {
      await t.page.setViewportSize(PROJECTOR);
      await setTheme(t, theme);
      for (const tab of ["ring", "data", "metrics", "log", "findings", "settings", "operate", "explore"]) {
        await t.click(`[data-testid=tab-${tab}]`);
        await t.expectAttr(`[data-testid=tab-${tab}]`, "aria-selected", "true", 2_000);
        await check(`${theme} 1280x720 tab ${tab}`, ".tabs-panel");
      }
      await t.click("[data-testid=tab-txn]");
    });
  }

  await t.step("projector: 1280x720, large type, dark", async () => {
    await t.page.setViewportSize(PROJECTOR);
    const small = await mapLabelPx(t);
    await setLarge(t, true);
    // Run a moment: the map re-reads its label scale (--map-label) while it renders.
    await t.click("[data-testid=play]");
    await t.page.waitForTimeout(1_500);
    await pause(t);
    await check("large dark 1280x720");
    const over = await overflowX(t);
    log(`${t.name}: large dark 1280x720: horizontal overflow ${over} px${over > 0 ? "; widest: " + (await widest(t)).join(", ") : ""}`);
    if (over > 0) problems.push(`large type at 1280x720: the page scrolls sideways by ${over} px`);
    const clipped = await clippedToggles(t);
    if (clipped.length) problems.push(`Kill / Revive cut off: ${clipped.join("; ")}`);
    const large = await mapLabelPx(t);
    log(`${t.name}: DC name on the map: ${small.toFixed(1)} px, large type ${large.toFixed(1)} px`);
    if (!(large > small * 1.15)) problems.push(`large type does not enlarge the map's labels (${small.toFixed(1)} → ${large.toFixed(1)} px)`);
    await shot(t, "projector-1280x720-large-dark.png");
    await shot(t, "projector-1280x720-large-dark-full.png", true);
  });

  await t.step("tablet 768x1024: no sideways scroll; the help dialog passes axe", async () => {
    await setLarge(t, false);
    await t.page.setViewportSize({ width: 768, height: 1024 });
    const over = await overflowX(t);
    log(`${t.name}: 768x1024: horizontal overflow ${over} px`);
    if (over > 0) problems.push(`768x1024: the page scrolls sideways by ${over} px`);
    // Off the A+ button (a key on a focused button is not a shortcut): g c focuses the bar.
    await t.page.keyboard.press("g");
    await t.page.keyboard.press("c");
    await t.page.keyboard.press("?");
    await t.waitFor("help", () => t.exists("[data-testid=help]"), 2_000);
    await check("help dialog, dark 768x1024", "[data-testid=help]");
    await t.page.keyboard.press("Escape");
    await t.waitFor("help closed", async () => !(await t.exists("[data-testid=help]")), 2_000);
  });

  await t.step("phone: 390x844, light, normal type", async () => {
    await setLarge(t, false);
    await setTheme(t, "light");
    await t.page.setViewportSize(PHONE);
    // Run a moment: the map re-reads its label scale (--map-label) while it renders.
    await t.click("[data-testid=play]");
    await t.page.waitForTimeout(1_500);
    await pause(t);
    const over = await overflowX(t);
    if (over > 0) problems.push(`390x844: the page scrolls sideways by ${over} px`);
    await shot(t, "phone-390x844.png");
    await shot(t, "phone-390x844-full.png", true);
  });

  await t.step("lessons: the list and the narration panel pass axe (light, dark, large, 390)", async () => {
    await t.page.setViewportSize(PROJECTOR);
    await setTheme(t, "light");
    await t.click("[data-testid=learn]");
    await t.waitFor("the lessons list", () => t.exists("[data-testid=lessons]"), 3_000);
    await check("lessons list, light 1280x720", "[data-testid=lessons]");
    await t.click("[data-testid=lesson-2pc-blocking]");
    await t.waitFor("the narration", () => t.exists("[data-testid=lesson-step]"), 5_000);
    await check("lesson open, light 1280x720");
    await setTheme(t, "dark");
    await setLarge(t, true);
    await check("lesson open, large dark 1280x720");
    const over = await overflowX(t);
    if (over > 0) problems.push(`lesson open, large type at 1280x720: the page scrolls sideways by ${over} px`);
    await shot(t, "lesson-1280x720-large-dark.png");
    await setLarge(t, false);
    await t.page.setViewportSize(PHONE);
    await check("lesson open, dark 390x844");
    const overPhone = await overflowX(t);
    if (overPhone > 0) problems.push(`lesson open at 390x844: the page scrolls sideways by ${overPhone} px; widest: ${(await widest(t)).join(", ")}`);
    await shot(t, "lesson-390x844.png");
    await t.click("[data-testid=lesson-close]");
  });

  await t.step("no serious or critical violation anywhere, every check above passed", async () => {
    const bad = found.filter(([, vs]) => serious(vs).length).map(([what, vs]) => `${what}: ${summary(serious(vs))}`);
    if (bad.length) problems.push(`axe found serious / critical violations:\n  ${bad.join("\n  ")}`);
    if (problems.length) throw new Error(problems.join("\n"));
  });
});
