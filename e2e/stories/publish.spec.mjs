// Publishing (issue 17): the built folder works from any folder of a static host, and the
// single-file build works opened from disk. Both run the kill-and-revive story, and no
// request may leave the page's own folder (sub-path) or file (file://).

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { test } from "../fixtures.mjs";
import { killAndRevive } from "../flows.mjs";
import { SUBPATH } from "../lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const SINGLE = path.resolve(process.env.E2E_SINGLE || path.join(ROOT, "dist-single", "tablestore.html"));

/** Records every request the page makes; `check` fails on one outside `allowed`. */
function recordRequests(page) {
  const urls = [];
  page.on("request", (r) => urls.push(r.url()));
  return (allowed, what) => {
    const outside = urls.filter((u) => !allowed(u));
    if (urls.length === 0) throw new Error("no request was recorded");
    if (outside.length) throw new Error(`requests outside ${what}: ${outside.join(", ")}`);
  };
}

test("publish-subpath", async ({ t, page, baseURL }) => {
  const check = recordRequests(page);
  await killAndRevive(t, SUBPATH);
  const folder = new URL(SUBPATH, baseURL).href;
  // data: is the inline favicon; everything else must come from the page's own folder
  // (an absolute /main-….css would be fetched from the site root instead).
  check((u) => u.startsWith(folder) || u.startsWith("data:"), folder);
});

test("publish-single-file", async ({ t, page }) => {
  if (!fs.existsSync(SINGLE)) throw new Error(`${SINGLE} not found: run \`make single\` (or make dist) first`);
  const check = recordRequests(page);
  const url = pathToFileURL(SINGLE).href;
  await killAndRevive(t, url);
  check((u) => u === url || u.startsWith("data:"), url);
});
