/** Store conformance fixtures: the fixed clock and the bytes every section shares. */

/** Fixed clock: the suite never sleeps; where timing matters it moves `now` forward. */
export const T0 = Date.parse("2030-01-01T00:00:00.000Z");
export const LEASE_MS = 60_000;

export function at(offsetMs: number): Date {
  return new Date(T0 + offsetMs);
}

/** Bytes that are not valid UTF-8, so a store that round-trips bodies through text fails. */
export const BINARY_BODY = Uint8Array.from([0x7b, 0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0xc3, 0x28, 0x7d]);

