import { test, log, openApp } from "../fixtures.mjs";
import { setTheme, setLarge } from "../flows.mjs";

/** Layout at a projector's 1280 × 720 (issue 12, item 4), measured with bounding boxes in
 *  each of light / dark theme and normal / large type:
 *  - every Kill / Revive button of the DC table lies inside its card (the side panel),
 *    with two DCs down (two "Revive" buttons);
 *  - in the 2PC diagram no arrow label ("VOTE …", "PREPARE", …) overlaps a state mark
 *    ("Prepared", "logs COMMIT", …) or another arrow label, and the band label "phase 2: decision" overlaps no
 *    time-column text (ticks, the ≈ of a compressed gap);
 *  - a full-page screenshot shows the sticky header at the top of the page only, even
 *    after the page was scrolled.
 *  Screenshots: target/screenshots/layout-<theme>-<type>.png. */

const VIEW = { width: 1280, height: 720 };


/** Kill / Revive buttons whose box leaves their card (the side panel): [{ id, button, card }]. */
const buttonsOutsideCard = (t) =>
  t.page.evaluate(() => {
    const card = document.querySelector("[data-testid=datacenters]").closest(".panel").getBoundingClientRect();
    const out = [];
    for (const b of document.querySelectorAll('[data-testid^="toggle-"]')) {
      const r = b.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < card.left - 0.5 || r.right > card.right + 0.5 || r.top < card.top - 0.5 || r.bottom > card.bottom + 0.5) {
        out.push({ id: b.getAttribute("data-testid"), button: [r.left, r.right], card: [card.left, card.right] });
      }
    }
    return out;
  });

/** Pairs of the 2PC diagram's texts whose boxes intersect: arrow labels against state
 *  marks, and the phase band labels against the time column's texts. */
const diagramOverlaps = (t) =>
  t.page.evaluate(() => {
    const svg = document.querySelector("[data-testid=txn-diagram]");
    if (!svg) return null;
    const box = (el) => el.getBoundingClientRect();
    const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    const text = (el) => (el.textContent || "").trim();
    const labels = [...svg.querySelectorAll(".arrow-label")];
    const marks = [...svg.querySelectorAll("g.mark")];
    const bands = [...svg.querySelectorAll(".band-label")];
    const column = [...svg.querySelectorAll("g.tick text, g.gap text, g.gap path")];
    const out = [];
    for (const l of labels) for (const m of marks) if (hit(box(l), box(m))) out.push(`${text(l)} × ${text(m)}`);
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) if (hit(box(labels[i]), box(labels[j]))) out.push(`${text(labels[i])} × ${text(labels[j])}`);
    for (const b of bands) for (const c of column) if (hit(box(b), box(c))) out.push(`${text(b)} × ${text(c) || "gap mark"}`);
    for (let i = 0; i < bands.length; i++) for (let j = i + 1; j < bands.length; j++) if (hit(box(bands[i]), box(bands[j]))) out.push(`${text(bands[i])} × ${text(bands[j])}`);
    return { out, labels: labels.length, marks: marks.length, bands: bands.length, gaps: svg.querySelectorAll("g.gap").length };
  });

/** Where the header is drawn in a full-page image: its top in page coordinates. */
const headerTopInPage = (t) =>
  t.page.evaluate(() => {
    const h = document.querySelector("header.topbar");
    return h.getBoundingClientRect().top + window.scrollY;
  });

test("layout", async ({ t }) => {
  await t.page.setViewportSize(VIEW);
  await t.step("a transaction that blocks: pause at its decision, kill its coordinator, revive it", async () => {
    // The 2PC view stays on the transaction the breakpoint stopped at; the coordinator's
    // death leaves a long, compressed gap (≈) in its diagram, next to "phase 2: decision".
    await openApp(t, "?seed=5&dcs=5&rate=80&tab=txn&pause_at=txn-decision");
    await t.waitFor("the breakpoint to hit", () => t.exists("[data-testid=breakpoint-hit]"), 30_000);
    await t.waitFor("the 2PC diagram", () => t.exists("[data-testid=txn-diagram]"), 5_000);
    const coord = await t.attr("[data-testid=txn-diagram]", "data-coordinator");
    await t.click(`[data-testid="toggle-${coord}"]`);
    await t.click("[data-testid=play]");
    const killedAt = await t.simMs();
    await t.waitFor("6 s of simulated time", async () => (await t.simMs()) > killedAt + 6_000, 30_000);
    await t.click(`[data-testid="toggle-${coord}"]`);
    await t.waitFor("a compressed gap in the diagram", () => t.exists("[data-testid=txn-diagram] g.gap"), 30_000);
    await t.click("[data-testid=pause]");
    log(`  coordinator dc-${coord} killed at ${killedAt} ms and revived`);
    // Two DCs down: their "Revive" buttons are wider than "Kill" (the table once pushed
    // them past the card's right edge at 1280 px).
    for (const id of ["0", "1"]) {
      if ((await t.attr(`[data-testid="toggle-${id}"]`, "aria-label")).startsWith("Kill")) await t.click(`[data-testid="toggle-${id}"]`);
      await t.expectAttr(`[data-testid="dc-row-${id}"]`, "data-state", "down", 3_000);
    }
  });
  for (const theme of ["light", "dark"]) {
    for (const large of [false, true]) {
      const name = `${theme}-${large ? "large" : "normal"}`;
      await t.step(`${name}: buttons in their card, labels apart, header on top`, async () => {
        await setTheme(t, theme);
        await setLarge(t, large);
        await t.page.waitForTimeout(300); // a frame or two for the layout to settle
        const outside = await buttonsOutsideCard(t);
        if (outside.length) throw new Error(`${name}: buttons outside the DC card: ${JSON.stringify(outside)}`);
        const d = await diagramOverlaps(t);
        if (!d) throw new Error(`${name}: no 2PC diagram`);
        log(`  ${name}: ${d.labels} arrow labels, ${d.marks} marks, ${d.bands} bands, ${d.gaps} gaps`);
        if (d.out.length) throw new Error(`${name}: overlapping labels in the 2PC diagram: ${d.out.join("; ")}`);
        // Scrolled down (as after clicking a control low on the page), then a full-page
        // screenshot: the header must be drawn at the page's top, not where it stuck.
        await t.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
        await t.screenshot(`layout-${name}`.replace(/^layout-/, ""));
        // The capture ran with the page as it stood: the header's top in page coordinates
        // is where the full-page image shows it.
        const top = await headerTopInPage(t);
        if (Math.abs(top) > 0.5) throw new Error(`${name}: the header is drawn ${top}px down the full page`);
      });
    }
  }
});

/** Sixteen DCs at 1280 px: the page does not scroll sideways (the detector matrix scrolls
 *  inside its card; its screen-reader-only labels once widened the document to 1371 px),
 *  and every Kill / Revive button stays in the DC card. */
test("layout-16-dcs", async ({ t }) => {
  await t.page.setViewportSize(VIEW);
  await openApp(t, "?dcs=16");
  await t.waitFor("16 DC rows", async () => (await t.page.locator('[data-testid^="dc-row-"]').count()) === 16, 10_000);
  for (const large of [false, true]) {
    await t.step(`${large ? "large" : "normal"} type: no sideways scroll`, async () => {
      await setLarge(t, large);
      await t.page.waitForTimeout(300);
      const w = await t.page.evaluate(() => {
        const d = document.documentElement;
        const wide = [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > d.clientWidth + 0.5)
          .slice(0, 5)
          .map((e) => `${e.tagName}.${e.className?.baseVal ?? e.className}`);
        return { doc: d.scrollWidth, view: d.clientWidth, wide };
      });
      log(`  16 DCs, ${large ? "large" : "normal"}: document ${w.doc} px wide in ${w.view} px`);
      if (w.doc > w.view) throw new Error(`the page scrolls sideways: ${w.doc} px in ${w.view} px (wider: ${w.wide.join(", ")})`);
      const outside = await buttonsOutsideCard(t);
      if (outside.length) throw new Error(`buttons outside the DC card: ${JSON.stringify(outside)}`);
      await t.screenshot(`layout-16-dcs-${large ? "large" : "normal"}`);
    });
  }
});
