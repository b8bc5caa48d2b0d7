// Times seeks in the built page (issue 11: "seeking any instant of a 30-minute run at 16
// DCs takes ≤ 150 ms in the page"). A measurement, not a test: it prints numbers and never
// fails on them.
//
//   make seek-page            (builds dist/ and the run's link first)
//   node e2e/seek.mjs LINK.json   (E2E_DIST to override the page)
//
// LINK.json is `sim/examples/seek_link.rs`'s output: the seek benchmark's run as a share
// link at its end, and the instants to seek to. The page opens the link (it re-simulates
// the 30 minutes once), then for each instant the scrubber's value is set and its input
// event dispatched, as a drag does; a seek counts from the dispatch to the first animation
// frame at which the page shows the new instant (`sim-time`'s data-ms), so it includes the
// snapshot and the render.

import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { openMeasurement, withTimeout } from "./lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.resolve(process.env.E2E_DIST || path.join(ROOT, "dist"));

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const { page, base, close } = await openMeasurement(DIST, "seek");
  try {
    const t0 = Date.now();
    await page.goto(`${base}/#run=${spec.link}`);
    await page.waitForFunction(
      () => Number(document.querySelector("[data-testid=sim-time]")?.getAttribute("data-ms") || 0) >= 1_800_000,
      null,
      { timeout: 120_000, polling: 200 },
    );
    console.log(`opened the 30-minute run's link in ${((Date.now() - t0) / 1000).toFixed(1)} s (re-simulated from 0)`);
    const times = await withTimeout(
      page.evaluate(async (instants) => {
        const shown = () => Number(document.querySelector("[data-testid=sim-time]").getAttribute("data-ms"));
        const frame = () => new Promise((r) => requestAnimationFrame(r));
        const out = [];
        for (const at of instants) {
          await frame();
          const el = document.querySelector("[data-testid=timeline]");
          const start = performance.now();
          el.value = String(at);
          el.dispatchEvent(new Event("input", { bubbles: true }));
          while (shown() !== at) await frame();
          out.push(performance.now() - start);
        }
        return out;
      }, spec.instants_ms),
      300_000,
      "seeking",
    );
    const sorted = [...times].sort((a, b) => a - b);
    const mem = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize : 0));
    console.log(
      `page seek (30-minute run, 16 DCs, ${times.length} instants): median ${sorted[sorted.length >> 1].toFixed(1)} ms, ` +
        `worst ${sorted[sorted.length - 1].toFixed(1)} ms (dispatch to the first frame showing the instant)`,
    );
    if (mem) console.log(`JS heap in use: ${(mem / 1e6).toFixed(0)} MB (the wasm memory is part of it)`);
  } finally {
    await close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
