import { test } from "../fixtures.mjs";
import { killAndRevive } from "../flows.mjs";

test("kill-and-revive", async ({ t }) => killAndRevive(t, "/"));
