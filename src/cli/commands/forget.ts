import type { Command } from "commander";
import { registerForget } from "../../learning/cli.js";

export function register(program: Command): void {
  registerForget(program);
}
