/**
 * The dashboard's files and their Content-Security-Policy. The files (generated from src/admin/ui/)
 * are loaded on the first page request with a dynamic import, so the API-only and store subpaths
 * never carry them.
 */
import type { DashboardAsset } from "./types.ts";

export type { DashboardAsset } from "./types.ts";

let files: Promise<Readonly<Record<string, DashboardAsset>>> | null = null;

/** The dashboard file served at `${basePath}/` (`index.html`) or `${basePath}/assets/<name>`, or `null`. */
export async function dashboardAsset(name: string): Promise<DashboardAsset | null> {
  files ??= import("./files.generated.ts").then((module) => module.DASHBOARD_FILES);
  const loaded = await files.catch((error: unknown) => {
    files = null;
    throw error;
  });
  return Object.hasOwn(loaded, name) ? loaded[name]! : null;
}

/**
 * The page's Content-Security-Policy: only its own scripts, styles and API; no inline script, so even
 * a value that slipped into the DOM as markup could not run.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
