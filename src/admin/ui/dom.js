// @ts-check
// DOM helpers. Every value from the server goes in through text nodes or setAttribute: never HTML.

/** h("tag.class", { attrs, on }, ...children): strings become text nodes. */
export function h(spec, props, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "on") {
        for (const [name, listener] of Object.entries(value)) el.addEventListener(name, listener);
      } else if (key === "text") {
        el.textContent = String(value);
      } else if (key === "class") {
        el.className = [el.className, value].filter(Boolean).join(" ");
      } else if (key === "checked" || key === "disabled" || key === "value" || key === "selected" || key === "indeterminate") {
        el[key] = value;
      } else {
        el.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

const pad = (n) => String(n).padStart(2, "0");

/** Local date and time, seconds included; the ISO instant goes in the title. */
export function time(iso, { empty = "\u2014" } = {}) {
  if (!iso) return h("span.muted", null, empty);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h("span", null, String(iso));
  const text =
    d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  return h("time", { datetime: d.toISOString(), title: d.toISOString() }, text);
}

export function duration(fromIso, toIso) {
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms)) return "";
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  return Math.round(ms / 60000) + " min";
}

const KNOWN_BADGES = new Set([
  "queued",
  "processing",
  "retrying",
  "succeeded",
  "failed",
  "stale",
  "accepted",
  "processed",
  "duplicate",
  "unparseable",
  "rejected",
  "rate_limited",
]);

/** A status badge; the class comes from a fixed list so a value can never choose its styling. */
export function badge(status) {
  const value = String(status);
  const kind = KNOWN_BADGES.has(value) ? value : "unknown";
  return h("span.badge.badge-" + kind, null, value.replace("_", " "));
}

/** A "Copy" button putting `text` on the clipboard; it says whether that worked. */
export function copyButton(text, label) {
  const button = h("button.button.small.copy", { type: "button", title: "Copy " + (label || "to the clipboard") }, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed";
    }
    setTimeout(() => {
      button.textContent = "Copy";
    }, 1500);
  });
  return button;
}

/** A JSON value as a collapsible tree: objects and arrays are <details> (open), leaves are text. */
function jsonNode(value, key, depth) {
  const keyPart = key === null ? null : [h("span.json-key", null, JSON.stringify(key)), ": "];
  if (value !== null && typeof value === "object") {
    const isArray = Array.isArray(value);
    const entries = isArray ? value.map((item, index) => [null, item, index]) : Object.entries(value).map(([k, v]) => [k, v]);
    const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) return h("div.json-leaf", null, keyPart, open + close);
    return h(
      "details.json-node",
      { open: depth < 4 },
      h(
        "summary",
        null,
        keyPart,
        open,
        h("span.json-size.muted", null, " " + entries.length + (isArray ? " item" : " key") + (entries.length === 1 ? "" : "s") + " "),
      ),
      h(
        "div.json-children",
        null,
        entries.map(([k, v]) => jsonNode(v, k, depth + 1)),
      ),
      h("div.json-close", null, close),
    );
  }
  const kind = value === null ? "null" : typeof value;
  return h(
    "div.json-leaf",
    null,
    keyPart,
    h("span.json-" + (["string", "number", "boolean", "null"].includes(kind) ? kind : "other"), null, JSON.stringify(value)),
  );
}

/** JSON as a collapsible tree with Copy, Expand all and Collapse all; text only, never markup. */
export function jsonBlock(value, label) {
  let text;
  try {
    text = JSON.stringify(value, null, 2);
  } catch {
    text = String(value);
  }
  if (text === undefined) text = "undefined";
  const tree = h("div.code.json-tree", { tabindex: "0", role: "group", "aria-label": label || "JSON" }, jsonNode(value, null, 0));
  const setAll = (open) => {
    for (const node of tree.querySelectorAll("details")) /** @type {HTMLDetailsElement} */ (node).open = open;
  };
  return h(
    "div.json-view",
    null,
    h(
      "div.json-tools",
      null,
      copyButton(text, label || "JSON"),
      h("button.button.small", { type: "button", on: { click: () => setAll(true) } }, "Expand all"),
      h("button.button.small", { type: "button", on: { click: () => setAll(false) } }, "Collapse all"),
    ),
    tree,
  );
}

/** A definition list from [label, value] pairs (values: node or text). */
export function details(rows) {
  return h(
    "dl.details",
    null,
    rows
      .filter(Boolean)
      .map(([label, value]) => [
        h("dt", null, label),
        h("dd", null, value === null || value === undefined || value === "" ? h("span.muted", null, "\u2014") : value),
      ]),
  );
}

export function link(href, text, props) {
  return h("a", Object.assign({ href }, props || {}), text);
}

let toastTimer = null;
/** A short message in the live region (read out by screen readers); it belongs to the page it was shown on. */
export function toast(message, kind) {
  const el = document.getElementById("toast");
  if (!el) return;
  el.replaceChildren(h("div.toast" + (kind === "error" ? ".toast-error" : kind === "info" ? ".toast-info" : ""), null, message));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.replaceChildren(), 6000);
}

/** Removes the toast (on navigation: a message about one page is not shown on the next). */
export function clearToast() {
  clearTimeout(toastTimer);
  const el = document.getElementById("toast");
  if (el) el.replaceChildren();
}

/** An error in place of a view; a network failure says the server is unreachable. */
export function errorBox(error) {
  if (error?.unreachable) return h("div.alert.unreachable", { role: "alert" }, "Server unreachable: the data shown may be out of date. Retrying\u2026");
  return h("div.alert", { role: "alert" }, error?.message ? error.message : String(error));
}

export function loading() {
  return h("p.muted.loading", null, "Loading\u2026");
}

/** Goes to a hash route; going to the current one re-renders it (a re-applied filter reloads). */
export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}
