// Where a frame's time goes: the built page at one speed, traced in headless Chromium.
// A measurement, not a test: it prints numbers and never fails on them.
//
//   node e2e/frameprofile.mjs   (E2E_DIST, PROFILE_SECONDS (5), PROFILE_SPEED (slider
//                                position, 767 ≈ 10×), FRAMETIME_QUERY as frametime.mjs)
//
// It records a Chromium trace (devtools.timeline) of the renderer's main thread and a CPU
// profile, then prints: per timer tick (the app's 33 ms Interval: simulate, snapshot,
// render) its wall time median / p95 / max; the main thread's time by trace event
// (style, layout, paint, GC, …) per second; and the CPU profile's heaviest functions
// (wasm names need a build that keeps them: `data-keep-debug` on the rust link).

import path from "node:path";
import { fileURLToPath } from "node:url";
import { openMeasurement } from "./lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.resolve(process.env.E2E_DIST || path.join(ROOT, "dist"));
const SECONDS = Number(process.env.PROFILE_SECONDS || 5);
const SPEED = String(process.env.PROFILE_SPEED || 767);
const QUERY = process.env.FRAMETIME_QUERY || "?dcs=16&rate=500&keys=2000&placement=ring";
const TOP = Number(process.env.PROFILE_TOP || 40);

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(((sorted.length - 1) * p) / 100))];
}

async function main() {
  const { page, base, close } = await openMeasurement(DIST, "frameprofile");
  try {
    await page.goto(base + "/" + QUERY);
    await page.waitForSelector("[data-testid=dc-15]", { timeout: 60_000 });
    await page.$eval(
      "[data-testid=speed]",
      (el, v) => {
        el.value = v;
        el.dispatchEvent(new Event("input", { bubbles: true }));
      },
      SPEED,
    );
    await page.waitForTimeout(3_000);
    const cdp = await page.context().newCDPSession(page);
    const events = [];
    cdp.on("Tracing.dataCollected", (e) => events.push(...e.value));
    const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 250 });
    await cdp.send("Tracing.start", {
      categories: "devtools.timeline,v8,blink.user_timing,disabled-by-default-devtools.timeline",
      transferMode: "ReportEvents",
    });
    await cdp.send("Profiler.start");
    await page.waitForTimeout(SECONDS * 1000);
    const { profile } = await cdp.send("Profiler.stop");
    await cdp.send("Tracing.end");
    await done;

    // The renderer main thread: the one that ran the timer ticks.
    const fires = events.filter((e) => e.name === "TimerFire" && e.ph === "X");
    const byThread = new Map();
    for (const e of events.filter((e) => e.name === "FunctionCall" || e.name === "TimerFire")) {
      const k = `${e.pid}:${e.tid}`;
      byThread.set(k, (byThread.get(k) || 0) + (e.dur || 0));
    }
    const main = [...byThread].sort((a, b) => b[1] - a[1])[0]?.[0];
    const onMain = events.filter((e) => `${e.pid}:${e.tid}` === main && e.ph === "X" && e.dur);
    // Top-level slices only (not nested in another slice of the main thread).
    onMain.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const top = [];
    let end = -1;
    for (const e of onMain) {
      if (e.ts >= end) {
        top.push(e);
        end = e.ts + e.dur;
      }
    }
    const sum = new Map();
    for (const e of onMain) sum.set(e.name, (sum.get(e.name) || 0) + e.dur);
    const busy = top.reduce((a, e) => a + e.dur, 0);
    console.log(`trace: speed position ${SPEED}, ${SECONDS} s, ${QUERY}`);
    console.log(`main thread busy ${(busy / 1000 / SECONDS).toFixed(0)} ms per s (top-level slices)`);
    const ticks = onMain
      .filter((e) => e.name === "TimerFire" || (e.name === "FunctionCall" && e.args?.data?.functionName === ""))
      .map((e) => e.dur / 1000);
    const tf = fires.map((e) => e.dur / 1000).sort((a, b) => a - b);
    console.log(
      `timer ticks: ${tf.length} (${(tf.length / SECONDS).toFixed(1)}/s), wall ms median ${pct(tf, 50).toFixed(1)}, p95 ${pct(tf, 95).toFixed(1)}, max ${tf[tf.length - 1]?.toFixed(1)}`,
    );
    void ticks;
    console.log("main thread ms per s by event (inclusive, nested events counted in each):");
    for (const [name, us] of [...sum].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`  ${(us / 1000 / SECONDS).toFixed(1).padStart(7)}  ${name}`);
    }
    // User timing marks (performance.measure) if the build has them.
    const measures = new Map();
    for (const e of events.filter((e) => e.cat?.includes("blink.user_timing") && (e.ph === "b" || e.ph === "e"))) {
      const m = measures.get(e.name) || { open: new Map(), durs: [] };
      if (e.ph === "b") m.open.set(e.id2?.local ?? e.id, e.ts);
      else {
        const s = m.open.get(e.id2?.local ?? e.id);
        if (s !== undefined) m.durs.push((e.ts - s) / 1000);
      }
      measures.set(e.name, m);
    }
    for (const [name, m] of measures) {
      const d = m.durs.sort((a, b) => a - b);
      if (d.length)
        console.log(`measure ${name}: ${d.length}×, median ${pct(d, 50).toFixed(2)} ms, p95 ${pct(d, 95).toFixed(2)}, max ${d[d.length - 1].toFixed(2)}`);
    }

    // CPU profile: self time by function, then total time of the heaviest.
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    const dt = profile.timeDeltas;
    for (let i = 0; i < profile.samples.length; i++) {
      const n = nodes.get(profile.samples[i]);
      const key = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? path.basename(n.callFrame.url) : ""}`;
      self.set(key, (self.get(key) || 0) + (dt[i + 1] || 0));
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`CPU profile: ${(total / 1000).toFixed(0)} ms sampled; self time, top ${TOP}:`);
    for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000 / SECONDS).toFixed(1).padStart(6)} ms/s  ${k.slice(0, 150)}`);
    }
    // Inclusive time for every function (counted once per sample even if recursive).
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
    const incl = new Map();
    for (let i = 0; i < profile.samples.length; i++) {
      const seen = new Set();
      for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
        const n = nodes.get(id);
        const key = n.callFrame.functionName || "(anonymous)";
        if (seen.has(key)) continue;
        seen.add(key);
        incl.set(key, (incl.get(key) || 0) + (dt[i + 1] || 0));
      }
    }
    console.log(`inclusive time, top ${TOP}:`);
    for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k.slice(0, 150)}`);
    }
  } finally {
    await close();
  }
}

main().catch((e) => {
  console.error(e.stack || e.message);
  process.exit(1);
});
