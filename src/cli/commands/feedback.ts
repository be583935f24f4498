import type { Command } from "commander";
import { registerFeedback } from "../../learning/cli.js";

export function register(program: Command): void {
  registerFeedback(program);
}
