import { accessSync, constants } from "node:fs";
import { basename, delimiter, join } from "node:path";
import type { TestContext } from "node:test";

/**
 * Prerequisites of tests that use real parts (external tools, the committed heads). Under `CI=true` a missing
 * one fails the test with the reason; elsewhere the test is skipped with it, so a laptop without, say,
 * mosquitto can still run the rest.
 */
export const IN_CI = /^(true|1)$/i.test(process.env.CI ?? "");

/** The Debian 12 package that provides each tool a test runs; `.ci/run` installs all of them. */
const DEBIAN_PACKAGE: Record<string, string> = {
  arecord: "alsa-utils",
  chromium: "chromium",
  ffmpeg: "ffmpeg",
  mkfifo: "coreutils",
  mosquitto: "mosquitto",
  mosquitto_passwd: "mosquitto",
  mosquitto_pub: "mosquitto-clients",
  mosquitto_sub: "mosquitto-clients",
  ps: "procps",
  setpriv: "util-linux",
  strace: "strace",
  "systemd-analyze": "systemd",
  "systemd-notify": "systemd",
  "systemd-socket-activate": "systemd",
};

/** The executable a tool name (looked up on PATH) or path (taken as is) resolves to, or null. */
export function findTool(tool: string, path = process.env.PATH ?? ""): string | null {
  const candidates = tool.includes("/")
    ? [tool]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, tool));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** What is missing, in a sentence naming the tools, where they were looked for and what installs them; or null. */
export function missingTools(tools: readonly string[]): string | null {
  const missing = tools.filter((tool) => findTool(tool) === null);
  if (missing.length === 0) return null;
  const packages = [...new Set(missing.map((tool) => DEBIAN_PACKAGE[basename(tool)] ?? basename(tool)))];
  return (
    `${missing.join(", ")} not found (PATH=${process.env.PATH ?? ""}); ` +
    `install it: apt-get install ${packages.join(" ")}`
  );
}

/**
 * Inside a test: returns false when the prerequisite is there (`problem` null). Otherwise, under CI, throws so
 * the test fails with `problem`; elsewhere skips the test and returns true (the caller returns).
 */
export function prerequisiteOrSkip(t: TestContext, problem: string | null): boolean {
  if (problem === null) return false;
  if (IN_CI)
    throw new Error(`${problem} (CI=true: a missing prerequisite fails the test instead of skipping it)`);
  t.skip(problem);
  return true;
}

/** Inside a test: `if (toolOrSkip(t, "ffmpeg")) return;` — fails under CI when a tool is missing, else skips. */
export function toolOrSkip(t: TestContext, ...tools: string[]): boolean {
  return prerequisiteOrSkip(t, missingTools(tools));
}

/**
 * For a whole suite: `describe(name, { skip: skipWithoutTools(…tools) }, () => { before(() => requireTools(…tools)); … })`.
 * Outside CI a missing tool skips the suite (this returns the reason); under CI this returns false and
 * `requireTools` in the suite's `before` hook fails every test of it with the reason.
 */
export function skipWithoutTools(...tools: string[]): string | false {
  const problem = missingTools(tools);
  return problem !== null && !IN_CI ? problem : false;
}

/** Throws naming the missing tools and their packages; see skipWithoutTools. */
export function requireTools(...tools: string[]): void {
  const problem = missingTools(tools);
  if (problem !== null) {
    throw new Error(
      `${problem}${IN_CI ? " (CI=true: a missing tool fails the test instead of skipping it)" : ""}`,
    );
  }
}
