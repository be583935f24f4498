import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { NODE_FLAGS } from "../../src/cli/node-flags.js";
import { PROJECT_ROOT } from "../../src/version.js";

it("the CLI's shebang and the systemd unit start node with NODE_FLAGS", () => {
  const shebang = readFileSync(join(PROJECT_ROOT, "src", "cli", "main.ts"), "utf8").split("\n")[0];
  assert.equal(shebang, `#!/usr/bin/env -S node ${NODE_FLAGS.join(" ")}`);
  const unit = readFileSync(join(PROJECT_ROOT, "systemd", "babymon.service"), "utf8");
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? "";
  assert.ok(exec.startsWith(`/usr/bin/node ${NODE_FLAGS.join(" ")} `), `ExecStart=${exec}`);
});
