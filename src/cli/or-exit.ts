/**
 * A command's step that it cannot go on without (load the models, replay the file): resolves to its value, or
 * prints `babymon: <message>` on stderr and exits with `code`.
 */
export async function orExit<T>(work: Promise<T>, code = 1): Promise<T> {
  try {
    return await work;
  } catch (err) {
    process.stderr.write(`babymon: ${(err as Error).message}\n`);
    process.exit(code);
  }
}
