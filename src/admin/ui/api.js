// @ts-check
// The admin JSON API, relative to the page (which is served at <mount>/), so any mount path works.

const base = new URL("api/", document.baseURI);

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ? body.error : null;
    super(error?.message ? error.message : "Request failed with status " + status);
    this.status = status;
    this.code = error ? error.code : null;
    this.body = body;
    /** True when the server could not be reached at all (no HTTP answer). */
    this.unreachable = status === 0;
  }
}

/** Tells the page whether the server answered (app.js shows or hides the "unreachable" banner). */
function reachable(ok) {
  window.dispatchEvent(new CustomEvent(ok ? "api:reachable" : "api:unreachable"));
}

/** Calls the API; non-GET calls send JSON (the server requires application/json for changes). */
export async function api(path, options) {
  const { method = "GET", query, body } = options || {};
  const url = new URL(path, base);
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
    }
  }
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  /** @type {RequestInit} */
  const init = { method, credentials: "same-origin", headers };
  if (method !== "GET") {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body === undefined ? {} : body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    reachable(false);
    throw new ApiError(0, { error: { code: "UNREACHABLE", message: "Server unreachable: the data shown may be out of date." } });
  }
  reachable(true);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let settingsPromise = null;
/** Settings (integrations, access), loaded once and shared by the views. */
export function settings(refresh) {
  if (!settingsPromise || refresh) {
    settingsPromise = api("settings").catch((error) => {
      settingsPromise = null;
      throw error;
    });
  }
  return settingsPromise;
}

export function encodeId(id) {
  return encodeURIComponent(id);
}
