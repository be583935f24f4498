/**
 * The V8 flags babymon's node runs with: the shebang of src/cli/main.ts and ExecStart of systemd/babymon.service
 * carry them (test/unit/node-flags.test.ts checks both), `npm run bench` passes them to the processes it measures.
 * A young generation of 1 MB per semi-space instead of V8's default (up to 16 MB): the pipeline makes a few
 * hundred kB of short-lived arrays per window, and the larger young generation only held more of that garbage
 * (about 40 MB of peak RSS); `--optimize-for-size` makes V8 trade a little speed for memory (about 12 MB more).
 * Measured with `npm run bench pipeline` (and `-- --no-node-flags` for without).
 */
export const NODE_FLAGS = ["--max-semi-space-size=1", "--optimize-for-size"] as const;
