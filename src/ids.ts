import { randomFillSync } from "node:crypto";

let lastMs = 0;
let sequence = 0;

/** Random bytes drawn 4 KiB at a time: one fill per 256 ids instead of one per id (a hot path of receive()). */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomBlock(): Buffer {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return bytes;
}

/**
 * A UUIDv7: 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids made in the same
 * millisecond in order, then random bits. Ids compare (as strings) in creation order within a
 * process, which is what keyset paging and the staleness tie-break rely on.
 */
export function createId(nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    sequence += 1;
    if (sequence > 0xfff) {
      // Counter overflow: borrow the next millisecond so order still holds.
      lastMs += 1;
      sequence = 0;
    }
  } else {
    lastMs = nowMs;
    sequence = 0;
  }
  const bytes = randomBlock();
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((sequence >>> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
