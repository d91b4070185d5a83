import { API_JS } from "./api-js.ts";
import { APP_JS } from "./app-js.ts";
import { DELIVERIES_VIEW_JS } from "./deliveries-view-js.ts";
import { DOM_JS } from "./dom-js.ts";
import { EVENT_VIEW_JS } from "./event-view-js.ts";
import { INDEX_HTML } from "./index-html.ts";
import { LOG_VIEW_JS } from "./log-view-js.ts";
import { SETTINGS_VIEW_JS } from "./settings-view-js.ts";
import { STYLES_CSS } from "./styles-css.ts";

export interface DashboardAsset {
  readonly contentType: string;
  readonly body: string;
}

const js = (body: string): DashboardAsset => ({ contentType: "text/javascript; charset=utf-8", body });

/** The dashboard's files by name: `index.html` at `${basePath}/`, the others at `${basePath}/assets/<name>`. */
export const DASHBOARD_ASSETS = {
  "index.html": { contentType: "text/html; charset=utf-8", body: INDEX_HTML },
  "styles.css": { contentType: "text/css; charset=utf-8", body: STYLES_CSS },
  "app.js": js(APP_JS),
  "api.js": js(API_JS),
  "dom.js": js(DOM_JS),
  "log-view.js": js(LOG_VIEW_JS),
  "event-view.js": js(EVENT_VIEW_JS),
  "deliveries-view.js": js(DELIVERIES_VIEW_JS),
  "settings-view.js": js(SETTINGS_VIEW_JS),
} as const satisfies Record<string, DashboardAsset>;

export type AssetName = keyof typeof DASHBOARD_ASSETS;

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
