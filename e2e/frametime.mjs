// Measures how smoothly the built page runs a busy 16-DC world in headless Chromium.
// A measurement, not a test: it prints numbers and never fails on them.
//
//   make frametime            (builds dist/ first)
//   node e2e/frametime.mjs    (E2E_DIST, FRAMETIME_SECONDS, FRAMETIME_QUERY to override)
//
// For each speed it records, inside the page, the interval between animation frames
// (requestAnimationFrame) and the long tasks (> 50 ms) while the simulation runs, and
// prints `frame time at <speed>: median X ms, p95 Y ms, p99 Z ms, N late (> 25 ms: P %), ...`, after the
// same for the page paused (`frame time paused: ...`): the display's floor.

import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
// The same Chromium, flags and static server as the stories (lib.mjs), no test runner.
import { openMeasurement, withTimeout } from "./lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.resolve(process.env.E2E_DIST || path.join(ROOT, "dist"));
const SECONDS = Number(process.env.FRAMETIME_SECONDS || 10);
const QUERY = process.env.FRAMETIME_QUERY || "?dcs=16&rate=500&keys=2000&placement=ring";

async function measure(page, seconds) {
  return page.evaluate(async (ms) => {
    const frames = [];
    let longTasks = 0;
    const obs = new PerformanceObserver((list) => (longTasks += list.getEntries().length));
    try {
      obs.observe({ type: "longtask", buffered: false });
    } catch (_) {}
    const simStart = Number(document.querySelector("[data-testid=sim-time]")?.getAttribute("data-ms") || 0);
    await new Promise((resolve) => {
      let last = performance.now();
      const end = last + ms;
      const tick = (now) => {
        frames.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    obs.disconnect();
    const simEnd = Number(document.querySelector("[data-testid=sim-time]")?.getAttribute("data-ms") || 0);
    const inFlight = document.querySelectorAll("circle.msg").length;
    return { frames, longTasks, simMs: simEnd - simStart, inFlight };
  }, seconds * 1000);
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(((sorted.length - 1) * p) / 100))];
}

function report(label, r) {
  const sorted = [...r.frames].sort((a, b) => a - b);
  // rAF intervals jitter by ~0.1 ms around the display's 16.7 ms: a frame is late
  // when it took more than one and a half of them (a vsync was missed).
  const late = sorted.filter((f) => f > 25).length;
  console.log(
    `frame time ${label === "paused" ? "paused" : `at ${label}`}: median ${pct(sorted, 50).toFixed(1)} ms, p95 ${pct(sorted, 95).toFixed(2)} ms, p99 ${pct(sorted, 99).toFixed(1)} ms, ` +
      `${late} late (> 25 ms: ${((late * 100) / sorted.length).toFixed(1)} %), ` +
      `max ${sorted[sorted.length - 1].toFixed(1)} ms over ${sorted.length} frames; ` +
      `${r.longTasks} long tasks; simulated ${(r.simMs / 1000).toFixed(1)} s in ${SECONDS} s; ` +
      `${r.inFlight} messages drawn at the end (16 DCs, ${QUERY})`,
  );
}

async function main() {
  const { page, base, close } = await openMeasurement(DIST, "frametime");
  try {
    await page.goto(base + "/" + QUERY);
    await page.waitForSelector("[data-testid=dc-15]", { timeout: 30_000 });
    // First the floor: the same page paused, so the intervals are the display's own (rAF
    // jitters ~0.1 ms around 16.67 ms at 60 Hz; no page gets a p95 below its floor).
    await page.click("[data-testid=pause]");
    await page.waitForTimeout(1_000);
    report("paused", await withTimeout(measure(page, SECONDS), (SECONDS + 30) * 1000, "measuring"));
    await page.click("[data-testid=play]");
    // Speeds by slider position (see src/ui/mod.rs): 434 ≈ 1×, 767 ≈ 10×, 1000 = 50×.
    for (const [label, value] of [["1×", 434], ["10×", 767], ["50×", 1000]]) {
      await page.fill("[data-testid=speed]", String(value)).catch(async () => {
        await page.$eval("[data-testid=speed]", (el, v) => {
          el.value = v;
          el.dispatchEvent(new Event("input", { bubbles: true }));
        }, String(value));
      });
      await page.waitForTimeout(2_000);
      report(label, await withTimeout(measure(page, SECONDS), (SECONDS + 30) * 1000, "measuring"));
    }
  } finally {
    await close();
  }
}

main().catch((e) => {
  console.error(e.stack || e.message);
  process.exit(1);
});
