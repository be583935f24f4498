import { existsSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join, resolve } from "node:path";
import YAML from "yaml";
import type { z } from "zod";
import { redactUrl } from "../logging.js";
import { type Config, configSchema } from "./schema.js";

/**
 * Loads the configuration: schema defaults ← YAML file ← `BABYMON_…` environment ← explicit overrides (CLI flags).
 *
 * Environment mapping: `BABYMON_<SLICE>__<KEY>[__<SUBKEY>…]`, each part in SCREAMING_SNAKE_CASE for the
 * camelCase key, values parsed as YAML scalars except for string keys, whose value is taken verbatim (a password
 * keeps its quotes): `BABYMON_DETECTION__THRESHOLD=0.4` → `detection.threshold`,
 * `BABYMON_WINDOWS__GATE__ENABLED=true` → `windows.gate.enabled`, `BABYMON_AUDIO__DEVICE=hw:1,0`.
 * `BABYMON_DATA_DIR` sets `dataDir`. Variables without `__` (other than BABYMON_DATA_DIR) are not config.
 */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface LoadConfigOptions {
  file?: string | null;
  /** Where `file` was named, for messages: "--config", "BABYMON_CONFIG", … */
  fileOrigin?: string;
  env?: NodeJS.ProcessEnv;
  /** Dotted paths → values, applied last (e.g. from CLI flags). */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  /** Where each explicitly set dotted key came from (file name, env variable, or "command line"). */
  origins: Record<string, string>;
  file: string | null;
}

const ENV_PREFIX = "BABYMON_";

function envKeyToPath(name: string): string[] | null {
  if (!name.startsWith(ENV_PREFIX)) return null;
  const rest = name.slice(ENV_PREFIX.length);
  if (rest === "DATA_DIR") return ["dataDir"];
  if (!rest.includes("__")) return null;
  return rest
    .split("__")
    .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function getPath(source: unknown, path: PropertyKey[]): unknown {
  let node = source;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function flatten(value: unknown, prefix: string[], out: Record<string, true>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, [...prefix, k], out);
  } else if (prefix.length > 0) out[prefix.join(".")] = true;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = {};
  const origins: Record<string, string> = {};
  // Raw env strings, to retry a value as a string when YAML scalar parsing made it a number/boolean.
  const envStrings = new Map<string, string>();

  let file: string | null = null;
  if (options.file) {
    file = resolve(options.file);
    const named = options.fileOrigin ? ` (from ${options.fileOrigin})` : "";
    if (!existsSync(file)) {
      throw new ConfigError(`Config file ${file}${named} does not exist`, [`missing ${file}`]);
    }
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason =
        code === "EISDIR"
          ? "is a directory, expected a YAML file"
          : code === "EACCES" || code === "EPERM"
            ? `is not readable by this user (${code})`
            : `cannot be read: ${(err as Error).message}`;
      throw new ConfigError(`Config file ${file}${named} ${reason}`, [`unreadable ${file}`]);
    }
    let parsed: unknown;
    try {
      parsed = YAML.parse(text);
    } catch (err) {
      throw new ConfigError(`Config file ${file} is not valid YAML: ${(err as Error).message}`, []);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new ConfigError(`Config file ${file} must hold a mapping of keys, got ${typeof parsed}`, []);
      }
      Object.assign(raw, parsed);
      const keys: Record<string, true> = {};
      flatten(parsed, [], keys);
      for (const k of Object.keys(keys)) origins[k] = file;
    }
  }

  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const path = envKeyToPath(name);
    if (!path) continue;
    let parsed: unknown = value;
    if (takesString(path)) {
      // a password or device is taken verbatim (`"quoted"` keeps its quotes); only null/~ mean null
      if (value === "null" || value === "~") parsed = null;
    } else {
      try {
        parsed = YAML.parse(value);
      } catch {
        parsed = value;
      }
      if (parsed === undefined) parsed = value;
    }
    setPath(raw, path, parsed);
    origins[path.join(".")] = name;
    envStrings.set(path.join("."), value);
  }

  for (const [dotted, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    setPath(raw, dotted.split("."), value);
    origins[dotted] = "command line";
  }

  for (let attempt = 0; ; attempt++) {
    const result = configSchema.safeParse(raw);
    if (result.success) return { config: result.data, origins, file };
    // An env value like "1234" meant as a string (a password, a device): retry those as strings once.
    let retried = false;
    if (attempt === 0) {
      for (const issue of result.error.issues) {
        const key = issue.path.join(".");
        if (issue.code === "invalid_type" && issue.expected === "string" && envStrings.has(key)) {
          setPath(raw, issue.path.map(String), envStrings.get(key));
          retried = true;
        }
      }
    }
    if (retried) continue;
    const issues = result.error.issues.map((issue) => describeIssue(issue, raw, origins));
    throw new ConfigError(`Invalid configuration:\n  ${issues.join("\n  ")}`, issues);
  }
}

type AnySchema = z.core.$ZodType;

function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (
      def.innerType &&
      ["default", "prefault", "nullable", "optional", "readonly", "catch"].includes(def.type)
    ) {
      s = def.innerType;
    } else if (def.type === "pipe" && def.in) s = def.in;
    else return s;
  }
}

/** True when the schema holds a string at `path` (then an env value is a string, not a YAML scalar). */
function takesString(path: string[]): boolean {
  const schema = schemaAt(path);
  return schema !== null && unwrap(schema)._zod.def.type === "string";
}

function schemaAt(path: PropertyKey[]): AnySchema | null {
  let s: AnySchema = configSchema;
  for (const key of path) {
    const def = unwrap(s)._zod.def as { type: string; shape?: Record<string, AnySchema> };
    if (def.type !== "object" || !def.shape || !(String(key) in def.shape)) return null;
    s = def.shape[String(key)];
  }
  return s;
}

/** "a number between 0 and 1 (exclusive)", "one of "auto", "mic"", "true or false", … */
export function describeAllowed(schema: AnySchema): string {
  const outer = schema._zod.def as { type: string };
  const nullable =
    outer.type === "nullable" || (schema as { isNullable?: () => boolean }).isNullable?.() === true;
  const s = unwrap(schema);
  const def = s._zod.def as {
    type: string;
    checks?: Array<{
      _zod: { def: { check: string; value?: number; inclusive?: boolean; format?: string } };
    }>;
    entries?: Record<string, string>;
    shape?: Record<string, AnySchema>;
  };
  let text: string;
  switch (def.type) {
    case "number": {
      let min: { value: number; inclusive: boolean } | null = null;
      let max: { value: number; inclusive: boolean } | null = null;
      let integer = false;
      for (const c of def.checks ?? []) {
        const d = c._zod.def;
        if (d.check === "greater_than") min = { value: d.value!, inclusive: d.inclusive ?? true };
        else if (d.check === "less_than") max = { value: d.value!, inclusive: d.inclusive ?? true };
        else if (d.check === "number_format" && d.format?.includes("int")) integer = true;
      }
      const kind = integer ? "an integer" : "a number";
      if (min && max) {
        const excl = !min.inclusive || !max.inclusive ? " (exclusive)" : "";
        text = `${kind} between ${min.value} and ${max.value}${excl}`;
      } else if (min) text = `${kind} ${min.inclusive ? "≥" : ">"} ${min.value}`;
      else if (max) text = `${kind} ${max.inclusive ? "≤" : "<"} ${max.value}`;
      else text = kind;
      break;
    }
    case "boolean":
      text = "true or false";
      break;
    case "enum":
      text = `one of ${Object.values(def.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(", ")}`;
      break;
    case "string":
      text = "a non-empty string";
      break;
    case "object":
      text = `a mapping with keys ${Object.keys(def.shape ?? {}).join(", ")}`;
      break;
    default:
      text = def.type;
  }
  return nullable ? `${text}, or null` : text;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, origins: Record<string, string>): string {
  const key = issue.path.join(".");
  const where = (k: string) => (origins[k] ? ` (from ${origins[k]})` : "");
  if (issue.code === "unrecognized_keys") {
    const parent = issue.path.join(".");
    const schema = schemaAt(issue.path);
    const allowed = schema
      ? Object.keys((unwrap(schema)._zod.def as { shape?: Record<string, unknown> }).shape ?? {})
      : [];
    return issue.keys
      .map((k) => {
        const full = parent ? `${parent}.${k}` : k;
        return `Unknown key \`${full}\`${where(full)}; allowed keys${parent ? ` in \`${parent}\`` : ""}: ${allowed.join(", ")}`;
      })
      .join("\n  ");
  }
  const value = getPath(raw, issue.path);
  const got = describeValue(value);
  // a refinement's or a pattern's own words ("a broker URL such as …")
  if (issue.code === "custom" || (issue.code === "invalid_format" && issue.format === "regex")) {
    return `Expected \`${key}\` to be ${issue.message}, got ${got}${where(key)}`;
  }
  const schema = schemaAt(issue.path);
  const allowed = schema ? describeAllowed(schema) : issue.message;
  return `Expected \`${key}\` to be ${allowed}, got ${got}${where(key)}`;
}

/** A value as the user wrote it: YAML's `.nan`/`.inf` (JSON would say null), URLs without their password. */
function describeValue(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) {
    const yaml = Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
    return `${yaml} (not a finite number)`;
  }
  if (typeof value === "string") return JSON.stringify(redactUrl(value));
  return JSON.stringify(value) ?? "nothing";
}

/**
 * The data directory: `dataDir` (the config file's or $BABYMON_DATA_DIR, as loadConfig reads it), else
 * /var/lib/babymon for the service user, else XDG.
 */
export function resolveDataDir(
  config: Pick<Config, "dataDir">,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (config.dataDir) return resolve(config.dataDir);
  let user = "";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): fall through to HOME
  }
  if (user === "babymon") return "/var/lib/babymon";
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(env.HOME ?? homedir(), ".local", "share"), "babymon");
}
