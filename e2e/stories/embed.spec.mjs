// Embedding (issue 17): each view of `?embed=<view>` in an iframe of a teacher's page, at
// 640 × 360 and at 320 × 240. The host page is the snippet of docs/EMBED.md, served next to
// the published folder: /course/week3/slides-<view>.html holds
//   <iframe src="playground/index.html?embed=<view>&…">
// and the playground is dist/ under /course/week3/playground/ (lib.mjs's SUBPATH).
//
// For each view and size: the view renders, a screenshot of the frame goes to
// target/screenshots/embed/<view>-<w>x<h>.png, and nothing overflows the frame (the rule
// is `overflowProblems` below). No request may leave the course folder of the origin.

import fsp from "node:fs/promises";
import path from "node:path";
import { test, SCREENSHOTS, log } from "../fixtures.mjs";
import { SUBPATH } from "../lib.mjs";

const SIZES = [
  [640, 360],
  [320, 240],
];
const HOST_DIR = SUBPATH.replace(/playground\/$/, ""); // /course/week3/
const SHOTS = path.join(SCREENSHOTS, "embed");

/** Per view: the parameters of its snippet, what "rendered" means (polled in the frame),
 * and whether the run is expected to be paused once it has (at a breakpoint). */
const VIEWS = [
  {
    view: "map",
    query: "seed=7&speed=4",
    ready: () => document.querySelectorAll("[data-testid=embed-map] [data-testid^=dc-]").length === 5 &&
      document.querySelectorAll("[data-testid=embed-map] circle.msg").length > 3,
  },
  {
    view: "ring",
    query: "seed=7&placement=ring&dcs=4",
    ready: () => document.querySelectorAll("[data-testid=embed-ring] [data-testid^=ring-key-]").length > 10,
  },
  {
    view: "txn",
    query: "seed=5&rate=80&pause_at=txn-decision&speed=10",
    paused: true,
    ready: () => {
      const hit = document.querySelector("[data-testid=breakpoint-hit]");
      const diagram = document.querySelector("[data-testid=embed-txn] [data-testid=txn-diagram]");
      return !!hit && !!diagram && diagram.getAttribute("data-txn") === hit.getAttribute("data-txn");
    },
  },
  {
    view: "data",
    query: "seed=7&speed=10",
    ready: () => document.querySelectorAll("[data-testid=embed-data] [data-testid^=data-key-]").length > 5,
  },
  {
    view: "metrics",
    query: "seed=7&speed=20",
    ready: () => {
      const line = document.querySelector("[data-testid=embed-metrics] [data-testid=plot-throughput] polyline");
      return !!line && line.getAttribute("points").trim().split(/\s+/).length >= 8;
    },
  },
];

/** The host page: the EMBED.md snippet, once per size. */
function hostPage(view, query) {
  const frames = SIZES.map(([w, h]) =>
    `<iframe id="f${w}x${h}" src="playground/index.html?embed=${view}&${query}" width="${w}" height="${h}" ` +
    `style="border:0" title="Table Store playground: ${view}"></iframe>`).join("\n    ");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Week 3 — ${view}</title>
<style>body { margin: 8px; background: #ccc; } iframe { display: block; margin: 0 0 8px; background: #fff; }</style>
</head><body>
    ${frames}
</body></html>`;
}

/**
 * What overflows the frame, in words (empty: nothing). Runs in the frame. The rule:
 *  1. the frame's document does not scroll: scrollingElement.scrollWidth ≤ clientWidth and
 *     scrollHeight ≤ clientHeight (this also catches text overflowing its element, which
 *     element boxes do not show, unless a clipping box inside the view holds it);
 *  2. the embed's root box is the frame's viewport (it fills the frame, within 1 px);
 *  3. every rendered element (non-empty bounding box) inside the root, clipped by each of
 *     its ancestors below <body> whose overflow is not `visible` (a scrolling or clipping
 *     box: the view's own box, a table's scroll-x, an <svg>), is either clipped away
 *     entirely (scrolled out of its box) or lies within the viewport, to 0.5 px
 *     (sub-pixel layout). (No element of the embed is position: fixed, and its absolute
 *     layers — the map's — sit inside their clipping box, so ancestors clip them.)
 *  4. the run controls (play or pause, step, sim time, the full-playground link) are
 *     visible and wholly inside the viewport, and the view's box has at least half of the
 *     frame's height.
 */
function overflowProblems() {
  const W = window.innerWidth;
  const H = window.innerHeight;
  const EPS = 0.5;
  const out = [];
  const px = (v) => Math.round(v * 10) / 10;
  const name = (el) => {
    const id = el.getAttribute("data-testid");
    const cls = typeof el.className === "string" ? el.className : el.getAttribute("class");
    return `<${el.tagName.toLowerCase()}${id ? ` data-testid=${id}` : ""}${cls ? ` class="${cls}"` : ""}>`;
  };
  const se = document.scrollingElement;
  if (se.scrollWidth > se.clientWidth) out.push(`the frame scrolls sideways: scrollWidth ${se.scrollWidth} > ${se.clientWidth}`);
  if (se.scrollHeight > se.clientHeight) out.push(`the frame scrolls vertically: scrollHeight ${se.scrollHeight} > ${se.clientHeight}`);
  const root = document.querySelector("[data-testid=app]");
  if (!root) return ["no [data-testid=app]"];
  const r = root.getBoundingClientRect();
  if (Math.abs(r.left) > 1 || Math.abs(r.top) > 1 || Math.abs(r.width - W) > 1 || Math.abs(r.height - H) > 1) {
    out.push(`the embed does not fill the ${W}×${H} frame: ${px(r.width)}×${px(r.height)} at ${px(r.left)},${px(r.top)}`);
  }
  const clips = new Map();
  const clipOf = (a) => {
    if (!clips.has(a)) {
      const cs = getComputedStyle(a);
      clips.set(a, { x: cs.overflowX !== "visible", y: cs.overflowY !== "visible", box: a.getBoundingClientRect() });
    }
    return clips.get(a);
  };
  let reported = 0;
  for (const el of root.querySelectorAll("*")) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 && b.height === 0) continue;
    let [left, top, right, bottom] = [b.left, b.top, b.right, b.bottom];
    for (let a = el.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      const c = clipOf(a);
      if (c.x) { left = Math.max(left, c.box.left); right = Math.min(right, c.box.right); }
      if (c.y) { top = Math.max(top, c.box.top); bottom = Math.min(bottom, c.box.bottom); }
    }
    if (right <= left || bottom <= top) continue;
    if (left < -EPS || top < -EPS || right > W + EPS || bottom > H + EPS) {
      if (reported++ < 8) {
        out.push(`${name(el)} shows at ${px(left)},${px(top)}–${px(right)},${px(bottom)}, outside the ${W}×${H} frame`);
      }
    }
  }
  if (reported > 8) out.push(`…and ${reported - 8} more elements`);
  for (const sel of ["[data-testid=play], [data-testid=pause]", "[data-testid=step]", "[data-testid=sim-time]", "[data-testid=embed-open-full]"]) {
    const el = document.querySelector(sel);
    const b = el && el.getBoundingClientRect();
    if (!el || !el.checkVisibility() || b.width === 0) out.push(`${sel} is not shown`);
    else if (b.left < -EPS || b.top < -EPS || b.right > W + EPS || b.bottom > H + EPS) out.push(`${sel} is cut off by the frame`);
  }
  const body = document.querySelector(".embed-body");
  if (!body || body.getBoundingClientRect().height < H / 2) {
    out.push(`the view's box is ${body ? px(body.getBoundingClientRect().height) : 0} px high, less than half the frame`);
  }
  return out;
}

/** The frame's own health: no error banner, no boot error. */
function frameProblem() {
  const visible = (el) => el && !el.hidden && el.checkVisibility();
  const banner = document.querySelector("[data-testid=error]");
  if (visible(banner)) return `error banner shown: ${banner.textContent.trim().slice(0, 300)}`;
  const boot = document.getElementById("boot-error");
  if (visible(boot)) return `boot error shown: ${boot.textContent.trim().slice(0, 300)}`;
  return null;
}

for (const spec of VIEWS) {
  test(`embed-${spec.view}`, async ({ t, page, baseURL }) => {
    const course = new URL(HOST_DIR, baseURL).href;
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    const host = new URL(`${HOST_DIR}slides-${spec.view}.html`, baseURL).href;
    await page.route(host, (route) => route.fulfill({ contentType: "text/html; charset=utf-8", body: hostPage(spec.view, spec.query) }));
    await page.setViewportSize({ width: 680, height: 660 });

    await t.step(`the teacher's page embeds the ${spec.view} view twice`, async () => {
      await t.open(host);
    });

    const frames = {};
    for (const [w, h] of SIZES) {
      const id = `f${w}x${h}`;
      const handle = await page.locator(`#${id}`).elementHandle();
      frames[id] = await handle.contentFrame();
      if (!frames[id]) throw new Error(`#${id} has no frame`);
    }

    await t.step("each frame renders the view", async () => {
      for (const [id, frame] of Object.entries(frames)) {
        await t.waitFor(`${spec.view} to render in ${id}`, async () => {
          const problem = await frame.evaluate(frameProblem);
          if (problem) throw new Error(`${id}: ${problem}`);
          return frame.evaluate(spec.ready);
        }, 30_000, async () => `sim time ${await frame.evaluate(() => document.querySelector("[data-testid=sim-time]")?.getAttribute("data-ms"))}`);
      }
    });

    await t.step("nothing overflows the frame; screenshots", async () => {
      await fsp.mkdir(SHOTS, { recursive: true });
      for (const [w, h] of SIZES) {
        const id = `f${w}x${h}`;
        const frame = frames[id];
        const size = await frame.evaluate(() => [window.innerWidth, window.innerHeight]);
        if (size[0] !== w || size[1] !== h) throw new Error(`${id} is ${size.join("×")}, not ${w}×${h}`);
        const problems = await frame.evaluate(overflowProblems);
        const file = path.join(SHOTS, `${spec.view}-${w}x${h}.png`);
        await page.locator(`#${id}`).screenshot({ path: file, timeout: 10_000 });
        const { size: bytes } = await fsp.stat(file);
        log(`${t.name}: ${path.relative(path.join(SCREENSHOTS, ".."), file)} (${Math.round(bytes / 1024)} KB)`);
        if (problems.length) throw new Error(`${spec.view} at ${w}×${h} overflows its frame:\n  ${problems.join("\n  ")}`);
      }
    });

    if (spec.view === "map") {
      await t.step("the overflow rule catches an overflow (a control)", async () => {
        const frame = frames.f320x240;
        const caught = await frame.evaluate((rule) => {
          const check = new Function(`return (${rule})();`);
          const bar = document.querySelector(".embed-bar");
          const wide = document.createElement("span");
          wide.textContent = "a control that does not fit";
          wide.style.cssText = "flex: none; width: 500px; display: inline-block";
          bar.append(wide);
          const found = check();
          wide.remove();
          return found;
        }, overflowProblems.toString());
        if (!caught.some((p) => p.includes("scrolls sideways")) || !caught.some((p) => p.includes("outside the 320×240 frame"))) {
          throw new Error(`a 500 px element in a 320 px frame went unnoticed: ${JSON.stringify(caught)}`);
        }
        if ((await frame.evaluate(overflowProblems)).length) throw new Error("the control did not clean up");
      });
    }

    await t.step(spec.paused ? "the run is paused at the breakpoint" : "the run plays in the frame", async () => {
      const frame = frames.f640x360;
      const ms = () => frame.evaluate(() => Number(document.querySelector("[data-testid=sim-time]").getAttribute("data-ms")));
      const at = await ms();
      if (spec.paused) {
        if (!(await frame.evaluate(() => !!document.querySelector("[data-testid=play]")))) throw new Error("not paused at the breakpoint");
        await page.waitForTimeout(300);
        if ((await ms()) !== at) throw new Error("the clock moved while paused at the breakpoint");
      } else {
        await t.waitFor("the clock to move", async () => (await ms()) > at, 5_000);
      }
    });

    await t.step("the full-playground link carries the same parameters, without embed", async () => {
      const frame = frames.f640x360;
      const href = await frame.evaluate(() => document.querySelector("[data-testid=embed-open-full]").getAttribute("href"));
      const want = `?${spec.query}${spec.view === "map" ? "" : `&tab=${spec.view}`}`;
      if (href !== want) throw new Error(`embed-open-full href ${href}, expected ${want}`);
      if (!spec.paused) return;
      // The 2PC view: the full page opens on the same run, paused at the same decision.
      const hit = await frame.evaluate(() => {
        const el = document.querySelector("[data-testid=breakpoint-hit]");
        return [el.getAttribute("data-txn"), el.getAttribute("data-ms")];
      });
      const [popup] = await Promise.all([
        page.waitForEvent("popup", { timeout: 10_000 }),
        frame.locator("[data-testid=embed-open-full]").click(),
      ]);
      const popupErrors = [];
      popup.on("pageerror", (e) => popupErrors.push(e.message));
      popup.on("request", (r) => requests.push(r.url()));
      await popup.waitForLoadState("load");
      await t.waitFor("the full page to pause at the same decision", async () => {
        if (popupErrors.length) throw new Error(popupErrors[0]);
        return popup.evaluate((want) => {
          const el = document.querySelector("[data-testid=breakpoint-hit]");
          return !!el && el.getAttribute("data-txn") === want[0] && el.getAttribute("data-ms") === want[1] &&
            !!document.querySelector("[data-testid=tab-txn][aria-selected=true]") &&
            !document.querySelector("[data-testid=app][data-embed]");
        }, hit);
      }, 30_000);
      await popup.close();
    });

    await t.step("no request left the course folder", async () => {
      const outside = requests.filter((u) => !u.startsWith(course) && !u.startsWith("data:"));
      if (requests.length === 0) throw new Error("no request was recorded");
      if (outside.length) throw new Error(`requests outside ${course}: ${outside.join(", ")}`);
    });
  });
}
