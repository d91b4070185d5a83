/** Store conformance fixtures: the fixed clock and the bytes every section shares. */

/**
 * Fixed clock: where timing matters the suite moves `now` forward. The one exception is a lease that
 * must run out: a store may time leases on its own clock (PostgresStore: the database's), so those
 * tests claim with SHORT_LEASE_MS, wait it out (`outlastShortLeases`) and move `now` past it too.
 */
export const T0 = Date.parse("2030-01-01T00:00:00.000Z");
export const LEASE_MS = 60_000;
export const SHORT_LEASE_MS = 500;

/** Waits until every lease of SHORT_LEASE_MS taken so far has expired on any clock. */
export function outlastShortLeases(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SHORT_LEASE_MS + 50));
}

export function at(offsetMs: number): Date {
  return new Date(T0 + offsetMs);
}

/** Bytes that are not valid UTF-8, so a store that round-trips bodies through text fails. */
export const BINARY_BODY = Uint8Array.from([0x7b, 0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0xc3, 0x28, 0x7d]);
