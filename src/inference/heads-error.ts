/**
 * The trained heads (models/babymon-heads) cannot be used: the one error `inference.scoreSource: auto` falls back
 * from (to YAMNet's own cry score). In its own file so that catching it does not load TF.js layers.
 */
export class HeadsModelError extends Error {
  override name = "HeadsModelError";
  constructor(
    readonly dir: string,
    problem: string,
  ) {
    super(`Cannot use the heads in ${dir}: ${problem}`);
  }
}
