/**
 * The environment for a babymon process a test spawns: the caller's environment without any `BABYMON_…`
 * variable (a `BABYMON_MQTT__URL`, `BABYMON_CONFIG` or `BABYMON_DETECTION__ENABLED` in the shell that runs
 * `npm test` would otherwise reach the daemon and change what the test measures), plus `extra`.
 */
export function envWithoutBabymon(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("BABYMON_")) env[key] = value;
  return { ...env, ...extra };
}
