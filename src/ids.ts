import { randomFillSync } from "node:crypto";

let lastMs = 0;
let sequence = 0;

/** Random bytes drawn 4 KiB at a time: one fill per 512 ids instead of one per id (a hot path of receive()). */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/** Two lower-case hex digits per byte value. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** `xxxxxxxx-xxxx-` for the millisecond last used, made once per millisecond rather than once per id. */
let prefixMs = -1;
let prefix = "";

function timePrefix(ms: number): string {
  if (ms !== prefixMs) {
    const hex = ms.toString(16).padStart(12, "0");
    prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-`;
    prefixMs = ms;
  }
  return prefix;
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
  if (poolOffset + 8 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 8;
  // Version 7 and the counter (bytes 6–7), the RFC 9562 variant (10xx) and 62 random bits (bytes 8–15).
  return (
    timePrefix(lastMs) +
    (0x7000 | sequence).toString(16) +
    "-" +
    HEX[0x80 | (pool[o]! & 0x3f)]! +
    HEX[pool[o + 1]!]! +
    "-" +
    HEX[pool[o + 2]!]! +
    HEX[pool[o + 3]!]! +
    HEX[pool[o + 4]!]! +
    HEX[pool[o + 5]!]! +
    HEX[pool[o + 6]!]! +
    HEX[pool[o + 7]!]!
  );
}
