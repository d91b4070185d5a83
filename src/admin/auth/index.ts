/** Login helpers for the admin: HTTP Basic, a signed session cookie, and constant-time comparison. */
export { httpBasic, readBasicCredentials } from "./http-basic.ts";
export type { HttpBasicAuth, HttpBasicOptions, HttpBasicUser } from "./http-basic.ts";
export { signedCookie } from "./signed-cookie.ts";
export type { SignedCookie, SignedCookieOptions } from "./signed-cookie.ts";
export { safeEqual } from "./safe-equal.ts";
