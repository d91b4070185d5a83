// @ts-check
// The incoming webhook log: filters, status counts, a paged table, select-many and retry, auto-refresh.
import { api, settings, encodeId } from "./api.js";
import { h, time, badge, toast, errorBox, navigate } from "./dom.js";
import { retryResults } from "./retry-results.js";

const STATUSES = ["queued", "processing", "retrying", "succeeded", "failed", "stale"];
const FILTER_KEYS = ["integration", "status", "tenantId", "entityType", "entityId", "deliveryId", "receivedFrom", "receivedTo", "q", "text"];
/** Time-range presets: a window ending now. */
/** @type {[string, number][]} */
const PRESETS = [
  ["Last hour", 3600e3],
  ["Last 24 h", 86400e3],
  ["Last 7 days", 7 * 86400e3],
];
const MORE_KEYS = ["entityType", "entityId", "deliveryId", "receivedFrom", "receivedTo"];
const PAGE = 50;
const REFRESH_MS = 5000;

// Survives re-rendering (a filter change re-renders the view).
const prefs = { autoRefresh: false };
let lastLogHash = "#/events";

/** Where "back to the log" goes: the log with the filters last used. */
export function logHash() {
  return lastLogHash;
}

function readFilter(params) {
  const filter = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  return filter;
}

function toHash(filter) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filter[key]) params.set(key, filter[key]);
  const query = params.toString();
  return "#/events" + (query ? "?" + query : "");
}

/** <input type=datetime-local> value (local time) ⇄ ISO instant. */
function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}
function fromLocalInput(value) {
  if (!value) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

export function renderLog(root, params) {
  const filter = readFilter(params);
  lastLogHash = toHash(filter);
  const state = { items: [], nextCursor: null, selected: new Set(), busy: false, timer: null, disposed: false };
  /** Stops following the last bulk retry's events. */
  let stopResults = () => {};

  const summary = h("div.summary", { "aria-label": "Events by status" });
  const updated = h("span.muted.small", { "aria-live": "off" });
  const shown = h("p.shown-total.muted", { "aria-live": "polite" });
  let matchCount = 0;
  const selectAll = h("input", { type: "checkbox", "aria-label": "Select all events shown" });
  const tbody = h("tbody");
  const more = h("button.button", { type: "button", hidden: true }, "Load more");
  const retrySelected = h("button.button.primary", { type: "button", disabled: true, "data-write": true }, "Retry selected");
  const retryMatching = h("button.button", { type: "button", "data-write": true }, "Retry all matching\u2026");
  const confirmSlot = h("div.confirm-slot");
  const errorSlot = h("div");
  const empty = h("p.empty", { hidden: true }, "No events match these filters.");
  const auto = h("input", { type: "checkbox", id: "auto-refresh", checked: prefs.autoRefresh });

  // ── filters ──
  const integrationSelect = h("select", { name: "integration", id: "f-integration" }, h("option", { value: "" }, "All integrations"));
  settings().then(
    (current) => {
      for (const integration of current.integrations) {
        integrationSelect.appendChild(h("option", { value: integration.id, selected: filter.integration === integration.id }, integration.id));
      }
    },
    () => {},
  );
  // Several statuses at once: a checkbox each (none checked = any status).
  const chosen = new Set(filter.status ? filter.status.split(",") : []);
  const statusChoices = h(
    "fieldset.status-choices",
    { id: "f-status" },
    h("legend", null, "Status"),
    STATUSES.map((status) => h("label", null, h("input", { type: "checkbox", name: "status", value: status, checked: chosen.has(status) }), status)),
  );
  const field = (id, label, input) => h("div.field", null, h("label", { for: id }, label), input);
  const textInput = (name, placeholder) =>
    h("input", { type: "text", name, id: "f-" + name, value: filter[name] || "", placeholder, autocomplete: "off", spellcheck: "false" });
  const fromInput = h("input", {
    type: "datetime-local",
    name: "receivedFrom",
    id: "f-receivedFrom",
    value: filter.receivedFrom ? toLocalInput(filter.receivedFrom) : "",
  });
  const toInput = h("input", {
    type: "datetime-local",
    name: "receivedTo",
    id: "f-receivedTo",
    value: filter.receivedTo ? toLocalInput(filter.receivedTo) : "",
  });

  const form = h(
    "form.filters",
    {
      role: "search",
      "aria-label": "Filter events",
      on: {
        submit: (event) => {
          event.preventDefault();
          const data = new FormData(form);
          const next = {};
          for (const key of FILTER_KEYS) {
            const value = key === "status" ? data.getAll("status").join(",") : String(data.get(key) || "").trim();
            if (value) next[key] = key === "receivedFrom" || key === "receivedTo" ? fromLocalInput(value) : value;
          }
          navigate(toHash(next));
        },
      },
    },
    field("f-text", "Search text", textInput("text", "error, payload or resource data")),
    field("f-q", "Search ids", textInput("q", "event, delivery, entity or tenant id")),
    field("f-integration", "Integration", integrationSelect),
    h("div.field.field-status", null, statusChoices),
    field("f-tenantId", "Tenant", textInput("tenantId", "tenant id")),
    h(
      "div.field.actions",
      null,
      h("button.button.primary", { type: "submit" }, "Apply"),
      h("button.button", { type: "button", on: { click: () => navigate("#/events") } }, "Clear"),
    ),
    h(
      "details.more-filters",
      { open: MORE_KEYS.some((key) => filter[key]) },
      h("summary", null, "More filters"),
      h(
        "div.filters-grid",
        null,
        field("f-entityType", "Entity type", textInput("entityType", "e.g. Invoice")),
        field("f-entityId", "Entity id", textInput("entityId", "")),
        field("f-deliveryId", "Delivery id", textInput("deliveryId", "")),
        field("f-receivedFrom", "Received from", fromInput),
        field("f-receivedTo", "Received before", toInput),
      ),
    ),
    h(
      "div.time-presets",
      { role: "group", "aria-label": "Time range" },
      PRESETS.map(([label, ms]) =>
        h(
          "button.button.small",
          {
            type: "button",
            on: {
              click: () => {
                const next = Object.assign({}, filter, { receivedFrom: new Date(Date.now() - ms).toISOString(), receivedTo: "" });
                navigate(toHash(next));
              },
            },
          },
          label,
        ),
      ),
      filter.receivedFrom || filter.receivedTo
        ? h(
            "button.button.small",
            { type: "button", on: { click: () => navigate(toHash(Object.assign({}, filter, { receivedFrom: "", receivedTo: "" }))) } },
            "Any time",
          )
        : null,
    ),
  );

  // ── rendering ──
  /** A fresh install (nothing received, no filter): where to point each provider. */
  const WHERE = {
    quickbooks: "QuickBooks: developer.intuit.com \u2192 your app \u2192 Webhooks \u2192 Endpoint URL",
    xero: "Xero: developer.xero.com \u2192 your app \u2192 Webhooks \u2192 Delivery URL",
  };
  const welcome = h("div.card.welcome", { hidden: true, "aria-label": "Getting started" });
  function renderWelcome(show) {
    welcome.hidden = !show;
    if (!show) return;
    settings().then(
      (current) => {
        welcome.replaceChildren(
          h("h2", null, "No webhook received yet"),
          h("p", null, "Point each provider at its webhook URL; deliveries and their events appear here as they arrive."),
          h(
            "ul.welcome-list",
            null,
            current.integrations.map((integration) =>
              h(
                "li",
                { "data-integration": integration.id },
                h("strong", null, integration.id),
                " (" + integration.provider + ", " + integration.mode + "): ",
                integration.webhookUrl
                  ? h("code.mono", null, integration.webhookUrl)
                  : h("span.muted", null, "the URL where your app mounts this integration's receiver (pass webhookUrls to the admin to show it here)"),
                WHERE[integration.provider] ? h("div.muted.small", null, WHERE[integration.provider]) : null,
              ),
            ),
          ),
        );
      },
      () => {},
    );
  }

  // The counts are an overview: every status for the other filters, whatever statuses are picked.
  function renderSummary(counts) {
    summary.replaceChildren(
      h(
        "a.count" + (!filter.status ? ".active" : ""),
        { href: toHash(Object.assign({}, filter, { status: "" })) },
        h("span.count-label", null, "All"),
        h("span.count-value", null, String(counts.total)),
      ),
      ...STATUSES.map((status) =>
        h(
          "a.count.count-" + status + (chosen.has(status) ? ".active" : ""),
          {
            href: toHash(Object.assign({}, filter, { status })),
            "aria-current": chosen.has(status) ? "true" : null,
          },
          h("span.count-label", null, status),
          h("span.count-value", null, String(counts.byStatus[status] || 0)),
        ),
      ),
    );
  }

  /** "50 of 923": rows shown of all that match (the matching statuses' counts). */
  function matching(counts) {
    return chosen.size === 0 ? counts.total : [...chosen].reduce((sum, status) => sum + (counts.byStatus[status] || 0), 0);
  }

  function syncSelection() {
    const n = state.selected.size;
    retrySelected.disabled = n === 0;
    retrySelected.textContent = n === 0 ? "Retry selected" : "Retry selected (" + n + ")";
    const shown = state.items.length;
    const picked = state.items.filter((item) => state.selected.has(item.id)).length;
    selectAll.checked = shown > 0 && picked === shown;
    selectAll.indeterminate = picked > 0 && picked < shown;
  }

  function row(event) {
    const href = "#/events/" + encodeId(event.id);
    const check = h("input", {
      type: "checkbox",
      checked: state.selected.has(event.id),
      "aria-label": "Select " + event.entityType + " " + event.entityId,
      on: {
        change: () => {
          if (check.checked) state.selected.add(event.id);
          else state.selected.delete(event.id);
          tr.classList.toggle("selected", check.checked);
          syncSelection();
        },
      },
    });
    const final = event.status === "succeeded" || event.status === "failed" || event.status === "stale";
    const tr = h(
      "tr" + (state.selected.has(event.id) ? ".selected" : ""),
      { "data-id": event.id, "data-status": event.status },
      h("td.select", null, check),
      h("td.nowrap", null, time(event.receivedAt)),
      h("td", null, event.integration),
      h("td.mono", null, event.tenantId),
      h("td.entity", null, h("a", { href }, h("span.entity-type", null, event.entityType), " ", h("span.mono", null, event.entityId))),
      h("td", null, event.operation),
      h("td", null, badge(event.status)),
      h(
        "td.num",
        { title: "Automatic attempts remaining of " + event.maxAttempts },
        event.status === "succeeded" || event.status === "stale"
          ? h("span.muted", null, "\u2014")
          : String(event.attemptsRemaining) + " / " + String(event.maxAttempts),
      ),
      h("td.nowrap", null, final ? h("span.muted", null, "\u2014") : time(event.nextAttemptAt)),
      h(
        "td.error" + (event.status === "stale" ? ".info" : ""),
        { title: event.lastError || "" },
        event.lastError ? event.lastError : h("span.muted", null, "\u2014"),
      ),
    );
    // The whole row opens the event, except its checkbox and link (which keep their own behaviour).
    tr.addEventListener("click", (e) => {
      if (e.target.closest("input, a, button, label")) return;
      location.hash = href;
    });
    return tr;
  }

  function renderRows() {
    tbody.replaceChildren(...state.items.map(row));
    empty.hidden = state.items.length > 0;
    more.hidden = !state.nextCursor;
    syncSelection();
  }

  // ── loading ──
  /** @param {{ append?: boolean }} [options] */
  async function load({ append = false } = {}) {
    if (state.busy) return;
    state.busy = true;
    errorSlot.replaceChildren();
    try {
      // A refresh reloads as many rows as are shown, so "Load more" pages are not lost.
      const limit = append ? PAGE : Math.min(500, Math.max(PAGE, state.items.length));
      const [page, counts] = await Promise.all([
        api("events", { query: Object.assign({}, filter, { limit, cursor: append ? state.nextCursor : undefined }) }),
        append ? null : api("counts", { query: Object.assign({}, filter, { status: undefined }) }),
      ]);
      if (state.disposed) return;
      state.items = append ? state.items.concat(page.items) : page.items;
      state.nextCursor = page.nextCursor;
      if (!append) {
        const ids = new Set(state.items.map((item) => item.id));
        for (const id of [...state.selected]) if (!ids.has(id)) state.selected.delete(id);
        renderSummary(counts);
        matchCount = matching(counts);
        renderWelcome(counts.total === 0 && Object.keys(filter).length === 0);
      }
      renderRows();
      shown.textContent = state.items.length + " of " + matchCount + " event" + (matchCount === 1 ? "" : "s");
      updated.textContent = "Updated " + new Date().toLocaleTimeString();
    } catch (error) {
      if (!state.disposed) errorSlot.replaceChildren(errorBox(error));
    } finally {
      state.busy = false;
    }
  }

  function schedule() {
    clearInterval(state.timer);
    state.timer = prefs.autoRefresh ? setInterval(() => load(), REFRESH_MS) : null;
  }

  selectAll.addEventListener("change", () => {
    for (const item of state.items) {
      if (selectAll.checked) state.selected.add(item.id);
      else state.selected.delete(item.id);
    }
    renderRows();
  });
  more.addEventListener("click", () => load({ append: true }));
  auto.addEventListener("change", () => {
    prefs.autoRefresh = auto.checked;
    schedule();
  });

  retrySelected.addEventListener("click", async () => {
    const ids = [...state.selected];
    if (ids.length === 0) return;
    retrySelected.disabled = true;
    try {
      const result = await api("events/retry", { method: "POST", body: { ids } });
      const skipped = result.skipped.length;
      toast("Re-queued " + result.requeued.length + " event(s)" + (skipped ? "; " + skipped + " skipped (already succeeded or being processed)" : "") + ".");
      stopResults();
      const results = retryResults(ids, result, new Map(state.items.map((item) => [item.id, item])), () => confirmSlot.replaceChildren());
      stopResults = results.stop;
      confirmSlot.replaceChildren(results.panel);
      state.selected.clear();
      await load();
    } catch (error) {
      toast(error.message, "error");
      syncSelection();
    }
  });

  async function retryByFilter(expectedCount) {
    try {
      const body = { filter };
      if (expectedCount !== undefined) body.expectedCount = expectedCount;
      const result = await api("events/retry", { method: "POST", body });
      confirmSlot.replaceChildren();
      toast("Re-queued " + result.requeued.length + " event(s).");
      await load();
    } catch (error) {
      if (error.status === 409 && error.body && error.body.error && typeof error.body.error.count === "number") {
        showConfirm(error.body.error.count, expectedCount !== undefined);
      } else {
        toast(error.message, "error");
      }
    }
  }

  function showConfirm(count, changed) {
    if (count === 0) {
      confirmSlot.replaceChildren(
        h(
          "div.confirm",
          { role: "alert" },
          "No event matching these filters can be retried (succeeded events are never retried).",
          h("button.button", { type: "button", on: { click: () => confirmSlot.replaceChildren() } }, "Dismiss"),
        ),
      );
      return;
    }
    const yes = h(
      "button.button.danger",
      { type: "button", on: { click: () => retryByFilter(count) } },
      "Retry " + count + " event" + (count === 1 ? "" : "s"),
    );
    confirmSlot.replaceChildren(
      h(
        "div.confirm",
        { role: "alert" },
        h(
          "span",
          null,
          (changed ? "The number changed. " : "") +
            count +
            " event" +
            (count === 1 ? "" : "s") +
            " matching these filters (succeeded ones excluded) will be queued for a manual attempt.",
        ),
        yes,
        h("button.button", { type: "button", on: { click: () => confirmSlot.replaceChildren() } }, "Cancel"),
      ),
    );
    yes.focus();
  }
  retryMatching.addEventListener("click", () => retryByFilter(undefined));

  root.append(
    h("div.page-head", null, h("h1", null, "Incoming webhooks"), summary),
    form,
    h(
      "div.toolbar",
      null,
      h("div.toolbar-group", null, retrySelected, retryMatching),
      h(
        "div.toolbar-group",
        null,
        h("label.toggle", { for: "auto-refresh" }, auto, " Auto-refresh"),
        h("button.button", { type: "button", on: { click: () => load() } }, "Refresh"),
        updated,
      ),
    ),
    welcome,
    confirmSlot,
    errorSlot,
    shown,
    h(
      "div.table-wrap",
      null,
      h(
        "table.grid",
        { "aria-label": "Incoming webhook events" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th.select", { scope: "col" }, selectAll),
            h("th", { scope: "col" }, "Received"),
            h("th", { scope: "col" }, "Integration"),
            h("th", { scope: "col" }, "Tenant"),
            h("th", { scope: "col" }, "Entity"),
            h("th", { scope: "col" }, "Operation"),
            h("th", { scope: "col" }, "Status"),
            h("th.num", { scope: "col", title: "Automatic attempts remaining / maximum" }, "Attempts left"),
            h("th", { scope: "col" }, "Next attempt"),
            h("th", { scope: "col" }, "Last error"),
          ),
        ),
        tbody,
      ),
    ),
    empty,
    h("div.more", null, more),
  );

  load();
  schedule();
  return () => {
    state.disposed = true;
    clearInterval(state.timer);
    stopResults();
  };
}
