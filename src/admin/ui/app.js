// @ts-check
// Hash routing (#/events, #/events/<id>, #/deliveries, #/deliveries/<id>, #/settings): works under any mount path.
import { settings } from "./api.js";
import { h, clearToast } from "./dom.js";
import { renderLog } from "./log-view.js";
import { renderEvent } from "./event-view.js";
import { renderDeliveries, renderDelivery } from "./deliveries-view.js";
import { renderSettings } from "./settings-view.js";
import { renderLimits } from "./limits-view.js";
import { renderReconcile } from "./reconcile-view.js";

const main = document.getElementById("main");
let cleanup = null;

function parseHash() {
  const raw = location.hash.slice(1) || "/events";
  const at = raw.indexOf("?");
  const path = at === -1 ? raw : raw.slice(0, at);
  const query = at === -1 ? "" : raw.slice(at + 1);
  const segments = path
    .split("/")
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { segments, params: new URLSearchParams(query) };
}

function markNav(section) {
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.getAttribute("data-nav") === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function route() {
  // In-page anchors (the skip link) are not routes.
  if (location.hash && !location.hash.startsWith("#/")) return;
  if (cleanup) cleanup();
  cleanup = null;
  clearToast();
  const { segments, params } = parseHash();
  const [section, id] = segments;
  main.replaceChildren();
  let view;
  if (section === "events" && id) {
    markNav("events");
    view = renderEvent(main, id, params);
  } else if (section === "deliveries" && id) {
    markNav("deliveries");
    view = renderDelivery(main, id);
  } else if (section === "deliveries") {
    markNav("deliveries");
    view = renderDeliveries(main, params);
  } else if (section === "limits") {
    markNav("limits");
    view = renderLimits(main);
  } else if (section === "reconcile") {
    markNav("reconcile");
    view = renderReconcile(main);
  } else if (section === "settings") {
    markNav("settings");
    view = renderSettings(main);
  } else {
    markNav("events");
    view = renderLog(main, params);
  }
  cleanup = typeof view === "function" ? view : null;
}

async function showAccess() {
  const slot = document.getElementById("access");
  try {
    const current = await settings();
    const tenants = current.access.tenants;
    // Read-only callers get no retry or re-process controls (the server refuses them anyway).
    document.body.classList.toggle("read-only", current.access.readOnly === true);
    slot.replaceChildren(
      tenants === null ? h("span.pill", null, "All tenants") : h("span.pill", { title: tenants.join(", ") }, "Tenants: " + tenants.join(", ")),
    );
    if (current.access.readOnly) slot.append(" ", h("span.pill", { title: "Lists and views only" }, "Read-only"));
  } catch {
    slot.replaceChildren();
  }
}

// While the server cannot be reached, a banner says so and the shown data is dimmed: it is not current.
const offline = h(
  "div.offline-banner",
  { role: "alert", hidden: true },
  "Server unreachable \u2014 the data below may be out of date; it refreshes when the server answers again.",
);
document.body.prepend(offline);
window.addEventListener("api:unreachable", () => {
  offline.hidden = false;
  document.body.classList.add("offline");
});
window.addEventListener("api:reachable", () => {
  offline.hidden = true;
  document.body.classList.remove("offline");
});

window.addEventListener("hashchange", route);
route();
showAccess();
