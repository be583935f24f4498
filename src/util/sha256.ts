import { createHash } from "node:crypto";

/** The sha256 of bytes or a string (UTF-8), as 64 hex digits. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
