// The static server for the end-to-end stories: serves dist/ (or E2E_DIST, or the first
// argument) on 127.0.0.1 at an ephemeral port (E2E_PORT to fix one) until it is killed.
// playwright.config.mjs starts it as its `webServer` and reads the port from the line
//   e2e server: serving <dir> on http://127.0.0.1:<port>
// which it exports to the stories as E2E_PORT. By hand: `node e2e/serve.mjs [dir]`.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.resolve(process.argv[2] || process.env.E2E_DIST || path.join(ROOT, "dist"));

if (!fs.existsSync(path.join(DIST, "index.html"))) {
  console.error(`e2e server: warning: ${DIST}/index.html not found; run \`make dist\` first`);
}
const server = await startServer(DIST, Number(process.env.E2E_PORT || 0));
console.log(`e2e server: serving ${DIST} on http://127.0.0.1:${server.address().port}`);

const stop = () => {
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.once(sig, stop);
