// Soak: the built page left running a busy 16-DC world at full speed, watching its memory.
// A measurement, not a test: it prints numbers and never fails on them (issue 10's
// "memory flat after warm-up, the speed reached not falling").
//
//   make soak                 (builds dist/ first; 10 minutes)
//   SOAK_SECS=120 node e2e/soak.mjs
//   SOAK_QUERY (default ?dcs=16&keys=10000&rate=500&speed=50: 50× is the slider's top),
//   SOAK_EVERY (seconds between lines, default 30), E2E_DIST.
//
// Every SOAK_EVERY seconds it prints: the renderer process's resident memory (Linux
// /proc, the page's process found as the child of this run's browser), the JS heap
// (CDP Performance.getMetrics), the wasm memory when the page exposes it, simulated time,
// the speed reached over the interval (simulated ms per wall ms), the frame time
// (requestAnimationFrame intervals) median and p95 over the interval, the renderer's
// resident memory split into the wasm memory's mapping, other anonymous memory and
// file-backed pages (/proc/<pid>/smaps), and the DOM's node and listener counts (CDP).

import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { openMeasurement } from "./lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.resolve(process.env.E2E_DIST || path.join(ROOT, "dist"));
const SECONDS = Number(process.env.SOAK_SECS || 600);
const EVERY = Number(process.env.SOAK_EVERY || 30);
const QUERY = process.env.SOAK_QUERY || "?dcs=16&keys=10000&rate=500&speed=50";

/** Processes on this machine: pid → { ppid, cmdline }. */
function processes() {
  const out = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ");
      out.set(Number(d), { ppid, cmdline });
    } catch (_) {}
  }
  return out;
}

/** VmRSS of `pid` in MB (NaN if gone). */
function rssMb(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(s)[1]) / 1024;
  } catch (_) {
    return NaN;
  }
}

/** The renderer processes of the browser started with `profile` as its user data dir. */
function renderers(profile) {
  const ps = processes();
  const browsers = [...ps].filter(([, p]) => p.cmdline.includes(profile) && !p.cmdline.includes("--type=")).map(([pid]) => pid);
  const under = (pid) => {
    for (let p = ps.get(pid); p; p = ps.get(p.ppid)) if (browsers.includes(p.ppid)) return true;
    return false;
  };
  return [...ps].filter(([pid, p]) => p.cmdline.includes("--type=renderer") && under(pid)).map(([pid]) => pid);
}

/** `pid`'s resident memory by mapping, from /proc/<pid>/smaps: [{ sizeKb, rssKb, name }]. */
function mappings(pid) {
  const out = [];
  try {
    let cur = null;
    for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) {
        cur = { sizeKb: 0, rssKb: 0, name: head[3] };
        out.push(cur);
      } else if (cur && line.startsWith("Size:")) cur.sizeKb = Number(line.split(/\s+/)[1]);
      else if (cur && line.startsWith("Rss:")) cur.rssKb = Number(line.split(/\s+/)[1]);
    }
  } catch (_) {}
  return out;
}

/** The page renderer's resident MB split three ways: the wasm memory's own mapping (the
 * anonymous one whose size is the memory's, within 2 MB), other anonymous memory (JS
 * heap, Blink, allocator pages, a grown memory's old buffer until collected) and
 * file-backed (Chromium's code and resources). */
function residentSplit(maps, wasmMb) {
  let wasmRss = 0;
  let anonRss = 0;
  let fileRss = 0;
  let wasmFound = false;
  for (const m of maps) {
    const mb = m.rssKb / 1024;
    if (m.name.startsWith("/")) fileRss += mb;
    else if (!wasmFound && wasmMb > 0 && Math.abs(m.sizeKb / 1024 - wasmMb) < 2) {
      wasmRss += mb;
      wasmFound = true;
    } else anonRss += mb;
  }
  return { wasmRss, anonRss, fileRss };
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(((sorted.length - 1) * p) / 100))];
}

const simMs = (page) =>
  page.evaluate(() => Number(document.querySelector("[data-testid=sim-time]")?.getAttribute("data-ms") || 0));

async function main() {
  const { page, base, browser, profile, close } = await openMeasurement(DIST, "soak", [
    "--enable-precise-memory-info",
  ]);
  try {
    // The wasm instance's memory, from the event trunk's loader dispatches once started.
    await page.addInitScript(() => {
      addEventListener("TrunkApplicationStarted", (e) => (window.__soakWasm = e.detail?.wasm?.memory));
    });
    await page.goto(base + "/" + QUERY);
    await page.waitForSelector("[data-testid=dc-15]", { timeout: 60_000 });
    const cdp = await browser.newCDPSession(page);
    await cdp.send("Performance.enable");
    // Frame intervals, collected in the page and taken (and reset) every interval.
    await page.evaluate(() => {
      window.__soakFrames = [];
      let last = performance.now();
      const tick = (now) => {
        window.__soakFrames.push(now - last);
        last = now;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const speed = await page.$eval("[data-testid=speed-label]", (e) => e.getAttribute("data-speed"));
    console.log(`soak: ${QUERY} for ${SECONDS} s (requested speed ${Number(speed).toFixed(1)}×), a line every ${EVERY} s`);
    console.log("  wall   renderer RSS (page / all)   wasm memory   JS heap used/total   sim time   speed reached   frame median / p95   resident wasm / other anon / files   DOM nodes / listeners");
    const t0 = Date.now();
    let prev = { wall: t0, sim: await simMs(page) };
    const rows = [];
    while (Date.now() - t0 < SECONDS * 1000) {
      await page.waitForTimeout(Math.min(EVERY * 1000, SECONDS * 1000 - (Date.now() - t0)));
      const now = Date.now();
      const sim = await simMs(page);
      const frames = await page.evaluate(() => window.__soakFrames.splice(0));
      const { metrics } = await cdp.send("Performance.getMetrics");
      // DOM nodes and listeners: the renderer memory that is neither wasm nor JS heap.
      const dom = await cdp.send("Memory.getDOMCounters").catch(() => ({}));
      const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
      const rss = renderers(profile).map(rssMb).filter((x) => !Number.isNaN(x));
      const wasmMb = (await page.evaluate(() => window.__soakWasm?.buffer?.byteLength || 0)) / 1048576;
      const sorted = frames.sort((a, b) => a - b);
      const rssPids = renderers(profile).map((pid) => [pid, rssMb(pid)]).filter(([, r]) => !Number.isNaN(r));
      const pagePid = rssPids.reduce((a, b) => (b[1] > a[1] ? b : a), [0, 0])[0];
      const split = residentSplit(mappings(pagePid), wasmMb);
      const row = {
        wall: (now - t0) / 1000,
        // The page's renderer is the largest (the others are spare or helper renderers).
        rss: Math.max(0, ...rss),
        rssAll: rss.reduce((a, b) => a + b, 0),
        wasm: wasmMb,
        heapUsed: (m.JSHeapUsedSize || 0) / 1048576,
        heapTotal: (m.JSHeapTotalSize || 0) / 1048576,
        ...split,
        nodes: dom.nodes ?? NaN,
        listeners: dom.jsEventListeners ?? NaN,
        sim: sim / 1000,
        speed: (sim - prev.sim) / (now - prev.wall),
        p50: pct(sorted, 50),
        p95: pct(sorted, 95),
      };
      rows.push(row);
      console.log(
        `${row.wall.toFixed(0).padStart(5)} s   ${row.rss.toFixed(0).padStart(6)} / ${row.rssAll.toFixed(0)} MB (${rss.length})   ` +
          `${row.wasm.toFixed(0).padStart(6)} MB   ` +
          `${row.heapUsed.toFixed(1).padStart(7)} / ${row.heapTotal.toFixed(1)} MB   ${row.sim.toFixed(0).padStart(6)} s   ` +
          `${row.speed.toFixed(1).padStart(8)}×      ${row.p50.toFixed(1)} / ${row.p95.toFixed(1)} ms (${sorted.length} frames)   ` +
          `${row.wasmRss.toFixed(0)} / ${row.anonRss.toFixed(0)} / ${row.fileRss.toFixed(0)} MB   ${row.nodes} / ${row.listeners}`,
      );
      prev = { wall: now, sim };
    }
    // After warm-up (from the line nearest 2 minutes on, or the first line of a short run).
    const warm = rows.find((r) => r.wall >= Math.min(120, SECONDS / 2)) || rows[0];
    const last = rows[rows.length - 1];
    if (warm && last) {
      console.log(
        `soak summary: wasm memory ${warm.wasm.toFixed(0)} → ${last.wasm.toFixed(0)} MB; renderer ${warm.rss.toFixed(0)} → ${last.rss.toFixed(0)} MB (${(last.rss - warm.rss >= 0 ? "+" : "") + (last.rss - warm.rss).toFixed(0)} MB) ` +
          `between ${warm.wall.toFixed(0)} s and ${last.wall.toFixed(0)} s (resident wasm ${warm.wasmRss.toFixed(0)} → ${last.wasmRss.toFixed(0)}, other anonymous ${warm.anonRss.toFixed(0)} → ${last.anonRss.toFixed(0)}, files ${warm.fileRss.toFixed(0)} → ${last.fileRss.toFixed(0)} MB); JS heap ${warm.heapUsed.toFixed(1)} → ${last.heapUsed.toFixed(1)} MB; ` +
          `speed reached ${warm.speed.toFixed(1)}× → ${last.speed.toFixed(1)}×; simulated ${last.sim.toFixed(0)} s in ${last.wall.toFixed(0)} s`,
      );
    }
  } finally {
    await close();
  }
}

main().catch((e) => {
  console.error(e.stack || e.message);
  process.exit(1);
});
