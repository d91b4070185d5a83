// @ts-check
// Rate limits: each tenant's budget in this process — paused until when and why, calls used per window, the day's budget left.
import { api } from "./api.js";
import { h, time, errorBox, loading } from "./dom.js";

const REFRESH_MS = 5000;

/** "minute" → "per minute"; other windows by their length. */
function windowLabel(window) {
  if (window.name === "day" || window.intervalMs === 86400000) return "today (24 h)";
  if (window.intervalMs === 60000) return window.name === "minute" ? "per minute" : window.name + " (per minute)";
  if (window.intervalMs === 1000) return window.name === "second" ? "per second" : window.name + " (per second)";
  return window.name + " (" + Math.round(window.intervalMs / 1000) + " s)";
}

function pauseCell(item) {
  if (!item.pausedUntil) return h("span.badge.badge-succeeded", null, "available");
  const reason = item.pauseReason;
  const why = reason ? "HTTP " + reason.status + (reason.limit ? " (" + reason.limit + " limit)" : "") : "paused";
  return h(
    "div",
    null,
    h("span.badge.badge-rate_limited", null, "paused"),
    " until ",
    time(item.pausedUntil),
    h("div.small", null, "Why: " + why),
    reason ? h("div.muted.small", { title: reason.message }, reason.message) : null,
  );
}

function row(item) {
  const day = item.windows.find((window) => window.name === "day" || window.intervalMs === 86400000);
  return h(
    "tr",
    { "data-tenant": item.tenantId === null ? "" : item.tenantId, "data-provider": item.provider },
    h("td", null, item.provider),
    h("td.mono", null, item.tenantId === null ? h("span.muted", null, "whole app") : item.tenantId),
    h("td", null, pauseCell(item)),
    h(
      "td",
      null,
      item.windows.length === 0
        ? h("span.muted", null, "\u2014")
        : h(
            "ul.windows",
            null,
            item.windows.map((window) => h("li", { "data-window": window.name }, windowLabel(window) + ": " + window.used + " of " + window.limit + " used")),
          ),
    ),
    h("td.num", null, day ? String(day.remaining) + " of " + day.limit : h("span.muted", null, "no daily limit")),
  );
}

export function renderLimits(root) {
  let disposed = false;
  const tbody = h("tbody");
  const empty = h("p.empty", { hidden: true }, "No provider call made yet in this process: budgets appear with the first download.");
  const errorSlot = h("div");
  root.replaceChildren(loading());

  async function load() {
    try {
      const { items } = await api("limits");
      if (disposed) return;
      errorSlot.replaceChildren();
      tbody.replaceChildren(...items.map(row));
      empty.hidden = items.length > 0;
    } catch (error) {
      if (!disposed) errorSlot.replaceChildren(errorBox(error));
    }
  }

  root.replaceChildren(
    h(
      "div.page-head",
      null,
      h("h1", null, "Rate limits"),
      h(
        "p.subtitle",
        null,
        "Each provider budget this process keeps: a tenant waiting out a 429 or a daily limit is paused, and its events wait without spending retries.",
      ),
    ),
    errorSlot,
    h(
      "div.table-wrap",
      null,
      h(
        "table.grid",
        { "aria-label": "Rate limits" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, "Provider"),
            h("th", { scope: "col" }, "Tenant"),
            h("th", { scope: "col" }, "State"),
            h("th", { scope: "col" }, "Calls used"),
            h("th.num", { scope: "col" }, "Day budget left"),
          ),
        ),
        tbody,
      ),
    ),
    empty,
  );
  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    disposed = true;
    clearInterval(timer);
  };
}
