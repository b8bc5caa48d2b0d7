// End-to-end stories of the built playground (dist/) on @playwright/test, in headless
// Debian Chromium (/usr/bin/chromium; no browser is ever downloaded).
//
//   make e2e                            release build, then every story
//   make e2e E2E_STORY=kill             ... only the stories whose name contains "kill"
//   cd e2e && npx playwright test       every story, against ../dist (after `make dist`)
//   cd e2e && npx playwright test -g kill          one story, by (a regexp of) its name
//   cd e2e && npx playwright test stories/keyboard.spec.mjs
//   cd e2e && npx playwright show-report ../target/playwright-report
//   cd e2e && npx playwright show-trace ../target/test-results/<story>/trace.zip
//
// Environment (all optional):
//   E2E_DIST              directory to serve (default: <repo>/dist)
//   E2E_STORY             substring filter on story names (same as -g, without regexp)
//   E2E_WORKERS           parallel browsers (default 1: see `workers` below)
//   E2E_STORY_TIMEOUT_MS  per story budget (default 90000)
//   E2E_PORT              fixed port for the static server (default: an ephemeral one)
//   E2E_TRACE             full (traces with DOM snapshots) | off (default: no DOM snapshots)
//   CHROMIUM              browser executable (default /usr/bin/chromium)
//   E2E_HEADED=1          show the browser (needs a display)
//   CI=true               one retry per story, test.only forbidden
//
// How it is wired:
//   - webServer runs serve.mjs (node:http on 127.0.0.1, ephemeral port); the port it
//     prints is captured by `wait.stdout` into process.env.E2E_PORT, from which the
//     fixture sets baseURL.
//   - Every story is one test in stories/<story>.spec.mjs, with a fresh browser context;
//     fixtures.mjs gives it `t` (the story toolkit) and fails it on a page error, a
//     console error, a crash, a visible [data-testid=error] banner or a visible
//     #boot-error. Screenshots: target/screenshots/<story>.png (at the end, pass or fail)
//     and target/screenshots/<story>-<moment>.png (taken by the story).
//   - Reports under target/: traces of failed stories in target/test-results/, the HTML
//     report in target/playwright-report/; summary-reporter.mjs prints the last line,
//     `N passed, N failed`, and the exit code is non-zero when a story failed.

import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "@playwright/test";
import { CHROMIUM, CHROMIUM_ARGS } from "./lib.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TARGET = path.resolve(HERE, "..", "target");
const CI = !!process.env.CI && process.env.CI !== "false";
const STORY = process.env.E2E_STORY || "";
// Relative to where playwright runs (`make e2e` resolves it from the repository root).
const DIST = path.resolve(process.env.E2E_DIST || path.join(HERE, "..", "dist"));
// Traces are recorded for every story and kept for the failed ones. By default without DOM
// snapshots: the stories poll the page every 100 ms, every read is a traced action, and a
// snapshot of the whole page per action runs on the page's main thread, competing with
// the simulation: measured, full traces made the suite ~2.2× slower than the old runner and
// made a 3 s wait of settings-validation time out once in 3 runs. The kept trace still has
// every action, the screenshots filmstrip, console, network and sources; E2E_TRACE=full
// adds the DOM snapshots (for debugging one story), E2E_TRACE=off records nothing.
const TRACE = {
  off: "off",
  full: "retain-on-failure",
}[process.env.E2E_TRACE] || { mode: "retain-on-failure", snapshots: false, screenshots: true, sources: true };

export default defineConfig({
  testDir: "stories",
  testMatch: "*.spec.mjs",
  outputDir: path.join(TARGET, "test-results"),
  grep: STORY ? new RegExp(STORY.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : undefined,

  // The page is CPU-heavy (a simulation in wasm at up to 10× speed) and the machine has
  // 2 cores: 2 workers were measured slower in wall time than 1 and less steady.
  workers: Number(process.env.E2E_WORKERS || 1),
  retries: CI ? 1 : 0,
  forbidOnly: CI,
  timeout: Number(process.env.E2E_STORY_TIMEOUT_MS || 90_000),
  globalTimeout: 30 * 60_000,

  reporter: [
    ["list"],
    ["html", { outputFolder: path.join(TARGET, "playwright-report"), open: "never" }],
    ["./summary-reporter.mjs"],
  ],

  use: {
    browserName: "chromium",
    headless: process.env.E2E_HEADED !== "1",
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 },
    viewport: { width: 1280, height: 900 },
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    trace: TRACE,
  },

  webServer: {
    command: "node serve.mjs",
    env: { E2E_DIST: DIST },
    wait: { stdout: /on http:\/\/127\.0\.0\.1:(?<e2e_port>\d+)/ },
    stdout: "ignore",
    stderr: "pipe",
    timeout: 30_000,
    reuseExistingServer: false,
    gracefulShutdown: { signal: "SIGTERM", timeout: 2_000 },
  },
});
