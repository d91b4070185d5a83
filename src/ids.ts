import { randomFillSync } from "node:crypto";

let lastMs = 0;
let sequence = 0;

/** Random bytes drawn 4 KiB at a time: one fill per 512 ids instead of one per id (a hot path of receive()). */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/** ASCII codes of the 16 lower-case hex digits. */
const DIGITS = Buffer.from("0123456789abcdef", "latin1");

/**
 * The id is written here as ASCII and read out as one string: a flat string, unlike one built by
 * concatenation, which V8 would have to flatten on its first use as a map key (every store keys by id).
 * The first 14 characters (`xxxxxxxx-xxxx-`) are the millisecond's and are rewritten only when it changes.
 */
const text = Buffer.from("00000000-0000-7000-8000-000000000000", "latin1");
let textMs = -1;

function writeHex(value: number, at: number, digits: number): void {
  for (let i = digits - 1; i >= 0; i -= 1) {
    text[at + i] = DIGITS[value & 0xf]!;
    value >>>= 4;
  }
}

function writeByte(byte: number, at: number): void {
  text[at] = DIGITS[byte >>> 4]!;
  text[at + 1] = DIGITS[byte & 0xf]!;
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
  if (lastMs !== textMs) {
    // 48 bits: the high 16 and the low 32 separately (bitwise operators work on 32 bits).
    writeHex(Math.floor(lastMs / 2 ** 32), 0, 4);
    writeHex(lastMs >>> 0, 4, 8);
    // "xxxxxxxxxxxx" → "xxxxxxxx-xxxx": the last four digits move past the dash.
    text.copyWithin(9, 8, 12);
    text[8] = 0x2d;
    textMs = lastMs;
  }
  if (poolOffset + 8 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 8;
  // Version 7 and the counter, then the RFC 9562 variant (10xx) and 62 random bits.
  writeHex(sequence, 15, 3);
  writeByte(0x80 | (pool[o]! & 0x3f), 19);
  writeByte(pool[o + 1]!, 21);
  for (let i = 2; i < 8; i += 1) writeByte(pool[o + i]!, 24 + 2 * (i - 2));
  return text.toString("latin1", 0, 36);
}
