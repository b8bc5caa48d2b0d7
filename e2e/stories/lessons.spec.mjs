import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test, log, fill, openApp, SCREENSHOTS } from "../fixtures.mjs";

/** Lessons mode (issue 12), as a learner at a projector's 1280 × 720:
 *  - one story per lesson file in sim/lessons/ (read here, so a new lesson gets its story):
 *    open `?lesson=<id>`, play, walk every step from the first to the last, doing each
 *    task through the page (Kill / Revive in the DC table, a link's arrow on the map,
 *    Operate's form, Settings, Add DC, or letting the run play), check
 *    `lesson-task[data-done=true]` before pressing Next, and save a screenshot per step to
 *    target/screenshots/lessons/<id>/<NN>.png; the last step shows the checker's recap.
 *    A task kind this story does not know fails it, naming the kind;
 *  - `lesson-reset` replays exactly: the same breakpoints are hit with the same trace hash;
 *  - the Learn button shows the list without hiding the map; `?lesson=nope` names the id;
 *  - progress survives a reload (resume offered), and ← / → / Esc drive the narration. */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LESSONS_DIR = path.resolve(HERE, "..", "..", "sim", "lessons");
const LESSONS = fs
  .readdirSync(LESSONS_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(fs.readFileSync(path.join(LESSONS_DIR, f), "utf8")));

const PROJECTOR = { width: 1280, height: 720 };
/** How long a task may take once done through the page (detector waits are ~4 s at 1×). */
const TASK_MS = 45_000;

async function shot(t, id, n) {
  const dir = path.join(SCREENSHOTS, "lessons", id);
  await fsp.mkdir(dir, { recursive: true });
  // From the top, as a projector shows it: the narration, then the map and the DC table.
  await t.page.evaluate(() => window.scrollTo(0, 0));
  await t.page.screenshot({ path: path.join(dir, `${String(n).padStart(2, "0")}.png`), timeout: 10_000 });
}

async function ensurePlaying(t) {
  if (await t.exists("[data-testid=play]")) await t.click("[data-testid=play]");
}

async function openTab(t, tab) {
  await t.click(`[data-testid=tab-${tab}]`);
  await t.expectAttr(`[data-testid=tab-${tab}]`, "aria-selected", "true", 3_000);
}

/** The DC a task's `Who` names, read from the page. */
async function whoDc(t, who, wantUp) {
  if (who && typeof who === "object" && "dc" in who) return who.dc;
  if (who === "coordinator_of_txn") {
    await openTab(t, "txn");
    await t.waitFor("a transaction in the 2PC list", () => t.exists("[data-testid=txn-list] li button"), 10_000);
    return Number(await t.attr("[data-testid=txn-list] li:first-child button", "data-coordinator"));
  }
  if (who === "any") {
    return t.page.evaluate((up) => {
      const row = Array.from(document.querySelectorAll('[data-testid^="dc-row-"]'))
        .find((r) => r.getAttribute("data-state") === (up ? "up" : "down"));
      return row ? Number(row.getAttribute("data-testid").slice("dc-row-".length)) : null;
    }, wantUp);
  }
  throw new Error(`unknown DC choice ${JSON.stringify(who)}`);
}

async function operate(t, { kind, table, key, from }) {
  await openTab(t, "operate");
  await t.page.locator("[data-testid=op-kind]").selectOption({ label: kind });
  if (table) await t.page.locator("[data-testid=op-table]").selectOption({ label: table });
  await fill(t, "[data-testid=op-key]", key);
  if (from !== undefined && from !== null) await t.page.locator("[data-testid=op-home]").selectOption(String(from));
  await t.click("[data-testid=op-issue]");
}

async function applySetting(t, field, value) {
  await openTab(t, "settings");
  await t.page.locator(`[data-testid=field-${field}]`).selectOption(value);
  await t.click("[data-testid=settings-apply]");
}

/** Does `task` (a lesson file's step task) through the page, as a learner would. */
async function doTask(t, lesson, n, task) {
  const kind = typeof task === "string" ? task : Object.keys(task)[0];
  const arg = typeof task === "string" ? null : task[kind];
  log(`${t.name}: step ${n}: ${kind} ${arg === null ? "" : JSON.stringify(arg)}`);
  switch (kind) {
    case "kill_dc":
    case "revive_dc": {
      const dc = await whoDc(t, arg, kind === "kill_dc");
      await t.click(`[data-testid=toggle-${dc}]`);
      await t.expectAttr(`[data-testid=dc-row-${dc}]`, "data-state", kind === "kill_dc" ? "down" : "up", 5_000);
      return;
    }
    case "cut_link":
    case "heal_link":
      await t.page.locator(`[data-testid=lane-hit-${arg.from}-${arg.to}]`).click();
      await t.expectAttr(`[data-testid=link-${arg.from}-${arg.to}]`, "data-cut", String(kind === "cut_link"), 5_000);
      return;
    case "read":
      if (arg.consistency) await applySetting(t, "read_consistency", arg.consistency.toLowerCase());
      await operate(t, { kind: "GetRow", table: arg.table, key: arg.key, from: arg.from });
      return;
    case "write":
      await operate(t, { kind: "PutRow", table: arg.table, key: arg.key, from: arg.from });
      return;
    case "wait_for":
      await ensurePlaying(t);
      return;
    case "set_placement":
      await applySetting(t, "placement", String(arg).toLowerCase());
      return;
    case "set_mode": {
      // Settings → "Replication of <table>": the select whose label names the table.
      await openTab(t, "settings");
      const mode = typeof arg.mode === "string" ? arg.mode.toLowerCase() : `quorum${arg.mode.Quorum}`;
      const sel = t.page.getByLabel(`Replication of ${arg.table}`, { exact: true });
      await sel.selectOption(mode);
      await t.click("[data-testid=settings-apply]");
      return;
    }
    case "set_failover":
      await openTab(t, "settings");
      await t.page.locator("[data-testid=field-failover]").setChecked(Boolean(arg));
      await t.click("[data-testid=settings-apply]");
      return;
    case "add_dc":
      await openTab(t, "ring");
      await t.click("[data-testid=add-dc]");
      return;
    default:
      throw new Error(`lesson ${lesson.id}, step ${n}: unknown task kind "${kind}" — teach e2e/stories/lessons.spec.mjs (doTask) to do it through the page`);
  }
}

const stepNo = async (t) => Number(await t.attr("[data-testid=lesson-step]", "data-step"));

for (const lesson of LESSONS) {
  test(`lesson-${lesson.id}`, async ({ t }) => {
    test.setTimeout(60_000 + lesson.steps.length * TASK_MS);
    await t.step(`open ?lesson=${lesson.id}, play`, async () => {
      await t.page.setViewportSize(PROJECTOR);
      await openApp(t, `?lesson=${lesson.id}`);
      await t.expectAttr("[data-testid=lesson-step]", "data-of", String(lesson.steps.length), 15_000);
      await t.expectAttr("[data-testid=lesson-step]", "data-step", "1", 1_000);
      // A lesson that runs a seeded bug says so; one on the real protocol shows no badge.
      const flags = Object.keys(lesson.scenario.bugs || {}).filter((k) => lesson.scenario.bugs[k]).sort();
      if (flags.length) {
        await t.waitFor("the seeded-bug badge", () => t.exists("[data-testid=bugs-badge]"), 5_000);
        const text = await t.page.locator("[data-testid=bugs-badge]").textContent();
        if (!text.includes(`seeded bug: ${flags.join(", ")}`)) throw new Error(`the badge does not name ${flags}: ${text}`);
      } else if (await t.exists("[data-testid=bugs-badge]")) {
        throw new Error("a lesson on the real protocol shows a seeded-bug badge");
      }
      await ensurePlaying(t);
    });
    for (const [i, step] of lesson.steps.entries()) {
      const n = i + 1;
      await t.step(`step ${n} of ${lesson.steps.length}`, async () => {
        if ((await stepNo(t)) !== n) throw new Error(`the panel shows step ${await stepNo(t)}, expected ${n}`);
        if (step.task) {
          const waiting = typeof step.task === "object" && "wait_for" in step.task;
          // A learner's action starts undone. A moment waited for may already have
          // happened: a step after a task step counts from the event that completed it.
          if (!waiting) await t.expectAttr("[data-testid=lesson-task]", "data-done", "false", 2_000);
          await doTask(t, lesson, n, step.task);
          // Some tasks finish as the run plays (a read's answer, a detector's timeout);
          // an action done while paused (a kill at a breakpoint) shows done at once.
          const acted = Date.now();
          await t.waitFor(`step ${n}'s task to be done`, async () => {
            const mayPlay = waiting || Date.now() - acted > 1_500;
            // One evaluate, so no render falls between reading the page and pressing play:
            // not past the step's own breakpoint — once the run stopped there (the hit
            // shows with the play button, in one render), the task is done or about to
            // show done, and pressing play again would run past the moment (with two
            // round trips a render could land between them, and a loaded machine made it).
            return t.page.evaluate(([mayPlay, pauses]) => {
              const task = document.querySelector("[data-testid=lesson-task]");
              if (task && task.getAttribute("data-done") === "true") return true;
              const stopped = pauses && document.querySelector("[data-testid=breakpoint-hit]") !== null;
              const play = document.querySelector("[data-testid=play]");
              if (!stopped && mayPlay && play) play.click();
              return false;
            }, [mayPlay, Boolean(step.pause_on)]);
          }, TASK_MS, async () => `sim time ${await t.simMs()} ms`);
        } else if (step.pause_on) {
          // "Press play: the run pauses when …" — a learner plays and waits for it.
          await ensurePlaying(t);
          await t.waitFor(`the ${step.pause_on} breakpoint`, () => t.exists("[data-testid=breakpoint-hit]"), 30_000);
        } else if (!(await t.exists("[data-testid=play]"))) {
          // A "next" step: the learner reads for a couple of seconds while the run plays
          // (sim/tests/lessons.rs plays 2 s). A run a breakpoint stopped stays stopped
          // while they read: pressing play there would ship the log the lesson is about.
          const from = await t.simMs();
          await t.waitFor("the run to play while the learner reads", async () => (await t.simMs()) >= from + 2_000, 20_000);
        }
        await shot(t, lesson.id, n);
        if (n < lesson.steps.length) {
          await t.click("[data-testid=lesson-next]");
          await t.expectAttr("[data-testid=lesson-step]", "data-step", String(n + 1), 3_000);
        } else {
          await t.waitFor("the recap", () => t.exists("[data-testid=lesson-recap]"), 3_000);
          // The simulated time the lesson needed at 1× (for its reading-time estimate).
          const words = lesson.steps.reduce((a, s) => a + (s.text || "").split(/\s+/).filter(Boolean).length, 0);
          log(`${t.name}: last step reached at sim time ${await t.simMs()} ms; ${words} words of narration`);
          if (!(await t.page.locator("[data-testid=lesson-next]").isDisabled())) throw new Error("next is enabled on the last step");
        }
      });
    }
  });
}

test("lessons-reset-replays", async ({ t }) => {
  const atBreakpoint = async () => {
    await ensurePlaying(t);
    await t.waitFor("the breakpoint", () => t.exists("[data-testid=breakpoint-hit]"), 30_000);
  };
  const hash = () => t.page.locator("[data-testid=trace-hash]").textContent();
  const run = [];
  await t.step("play the first two steps of 2pc-happy-path", async () => {
    await openApp(t, "?lesson=2pc-happy-path");
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "1", 15_000);
    await atBreakpoint();
    run.push([await t.simMs(), await hash()]);
    await t.click("[data-testid=lesson-next]");
    await ensurePlaying(t);
    await t.expectAttr("[data-testid=lesson-task]", "data-done", "true", 30_000);
    run.push([await t.simMs(), await hash()]);
  });
  await t.step("reset: step 1, time 0, the same run", async () => {
    await t.click("[data-testid=lesson-reset]");
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "1", 3_000);
    await t.expectAttr("[data-testid=sim-time]", "data-ms", "0", 3_000);
    await atBreakpoint();
    const a = [await t.simMs(), await hash()];
    await t.click("[data-testid=lesson-next]");
    await ensurePlaying(t);
    await t.expectAttr("[data-testid=lesson-task]", "data-done", "true", 30_000);
    const b = [await t.simMs(), await hash()];
    log(`${t.name}: first ${JSON.stringify(run)}, after reset ${JSON.stringify([a, b])}`);
    if (JSON.stringify([a, b]) !== JSON.stringify(run)) throw new Error(`reset did not replay exactly: ${JSON.stringify(run)} then ${JSON.stringify([a, b])}`);
  });
});

test("lessons-list-and-unknown-id", async ({ t }) => {
  await t.step("first load: the Learn button opens the list; the map stays visible", async () => {
    await t.page.setViewportSize(PROJECTOR);
    await openApp(t);
    await t.click("[data-testid=learn]");
    await t.waitFor("the lessons list", () => t.exists("[data-testid=lessons]"), 3_000);
    for (const l of LESSONS) {
      const text = await t.page.locator(`[data-testid=lesson-${l.id}]`).textContent();
      if (!text.includes(l.title)) throw new Error(`entry lesson-${l.id} lacks its title: ${text}`);
    }
    if (!(await t.page.locator(".map-panel").isVisible())) throw new Error("the map is hidden");
    await shot(t, "_list", 1);
  });
  await t.step("?lesson=nope names the id and keeps the run", async () => {
    await openApp(t, "?lesson=nope");
    await t.waitFor("the message", () => t.exists("[data-testid=lesson-error]"), 10_000);
    const text = await t.page.locator("[data-testid=lesson-error]").textContent();
    if (!text.includes("nope")) throw new Error(`the message does not name the id: ${text}`);
    if (await t.exists("[data-testid=lesson-step]")) throw new Error("a lesson opened");
    const ms = await t.simMs();
    await t.waitFor("the default run to go on", async () => (await t.simMs()) > ms, 5_000);
  });
});

test("lessons-progress-and-keys", async ({ t }) => {
  await t.step("→ moves to step 2, ← back, → again", async () => {
    await openApp(t, "?lesson=hash-placement");
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "1", 15_000);
    await t.page.locator("[data-testid=lesson-step]").click();
    await t.page.keyboard.press("ArrowRight");
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "2", 3_000);
    await t.page.keyboard.press("ArrowLeft");
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "1", 3_000);
    await t.page.keyboard.press("ArrowRight");
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "2", 3_000);
    // Step 2 has a task not done: → does not move on.
    await t.page.keyboard.press("ArrowRight");
    await t.page.waitForTimeout(300);
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "2", 1_000);
  });
  await t.step("a reload offers to resume at step 2", async () => {
    await t.page.reload({ waitUntil: "load" });
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "1", 15_000);
    await t.expectAttr("[data-testid=lesson-resume]", "data-step", "2", 3_000);
    await t.click("[data-testid=lesson-resume]");
    await t.expectAttr("[data-testid=lesson-step]", "data-step", "2", 3_000);
  });
  await t.step("Esc typed in a text field does not close the lesson", async () => {
    await openTab(t, "operate");
    await t.page.locator("[data-testid=op-key]").focus();
    await t.page.keyboard.press("Escape");
    await t.page.waitForTimeout(300);
    if (!(await t.exists("[data-testid=lesson-step]"))) throw new Error("Esc in Operate's key field closed the lesson");
    await openTab(t, "settings");
    await t.page.locator("[data-testid=field-heartbeat_interval_ms]").focus();
    await t.page.keyboard.press("Escape");
    await t.page.waitForTimeout(300);
    if (!(await t.exists("[data-testid=lesson-step]"))) throw new Error("Esc in a settings input closed the lesson");
  });
  await t.step("Esc leaves lessons mode", async () => {
    await t.page.locator("[data-testid=lesson-step]").click();
    await t.page.keyboard.press("Escape");
    await t.waitFor("the panel to close", async () => !(await t.exists("[data-testid=lesson-step]")), 3_000);
  });
});
