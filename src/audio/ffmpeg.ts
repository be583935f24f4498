/** The ffmpeg executable every decoder and stream runs: $BABYMON_FFMPEG, else "ffmpeg" on the PATH. */
export function ffmpegExecutable(env: NodeJS.ProcessEnv = process.env): string {
  return env.BABYMON_FFMPEG ?? "ffmpeg";
}
