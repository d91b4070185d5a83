// @ts-check
// Inbound requests: every HTTP request received, its headers (secrets redacted), raw body and the response given.
import { api, settings, encodeId } from "./api.js";
import { h, time, badge, jsonBlock, details, link, toast, errorBox, loading, navigate, copyButton } from "./dom.js";

const STATUSES = ["accepted", "processed", "failed", "duplicate", "unparseable", "rejected"];
const FILTER_KEYS = ["integration", "status", "tenantId", "q"];
const PAGE = 50;
const STATUS_TEXT = {
  200: "OK",
  202: "Accepted",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
  503: "Service Unavailable",
};
let lastListHash = "#/deliveries";
const listPrefs = { autoRefresh: false };

function toHash(filter) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filter[key]) params.set(key, filter[key]);
  const query = params.toString();
  return "#/deliveries" + (query ? "?" + query : "");
}

export function renderDeliveries(root, params) {
  const filter = {};
  for (const key of FILTER_KEYS) if (params.get(key)) filter[key] = params.get(key);
  lastListHash = toHash(filter);
  const state = { items: [], nextCursor: null, disposed: false };
  const tbody = h("tbody");
  const more = h("button.button", { type: "button", hidden: true }, "Load more");
  const empty = h("p.empty", { hidden: true }, "No inbound request matches these filters.");
  const errorSlot = h("div");
  const auto = h("input", { type: "checkbox", id: "d-auto-refresh", checked: listPrefs.autoRefresh });
  let timer = null;
  const schedule = () => {
    clearInterval(timer);
    timer = listPrefs.autoRefresh ? setInterval(() => load(false), 5000) : null;
  };
  auto.addEventListener("change", () => {
    listPrefs.autoRefresh = auto.checked;
    schedule();
  });

  const integrationSelect = h("select", { name: "integration", id: "d-integration" }, h("option", { value: "" }, "All integrations"));
  settings().then(
    (current) => {
      for (const integration of current.integrations)
        integrationSelect.appendChild(h("option", { value: integration.id, selected: filter.integration === integration.id }, integration.id));
    },
    () => {},
  );
  const field = (id, label, input) => h("div.field", null, h("label", { for: id }, label), input);
  const form = h(
    "form.filters",
    {
      role: "search",
      "aria-label": "Filter inbound requests",
      on: {
        submit: (event) => {
          event.preventDefault();
          const data = new FormData(form);
          const next = {};
          for (const key of FILTER_KEYS) {
            const value = String(data.get(key) || "").trim();
            if (value) next[key] = value;
          }
          navigate(toHash(next));
        },
      },
    },
    field(
      "d-q",
      "Search",
      h("input", { type: "text", name: "q", id: "d-q", value: filter.q || "", placeholder: "delivery id or reason", autocomplete: "off" }),
    ),
    field("d-integration", "Integration", integrationSelect),
    field(
      "d-status",
      "Status",
      h(
        "select",
        { name: "status", id: "d-status" },
        h("option", { value: "" }, "Any status"),
        STATUSES.map((status) => h("option", { value: status, selected: filter.status === status }, status)),
      ),
    ),
    field("d-tenantId", "Tenant", h("input", { type: "text", name: "tenantId", id: "d-tenantId", value: filter.tenantId || "", autocomplete: "off" })),
    h(
      "div.field.actions",
      null,
      h("button.button.primary", { type: "submit" }, "Apply"),
      h("button.button", { type: "button", on: { click: () => navigate("#/deliveries") } }, "Clear"),
    ),
  );

  function row(delivery) {
    const href = "#/deliveries/" + encodeId(delivery.id);
    const tr = h(
      "tr",
      { "data-id": delivery.id },
      h("td.nowrap", null, time(delivery.receivedAt)),
      h("td", null, delivery.integration),
      h("td", null, badge(delivery.status)),
      h("td.num", null, delivery.response ? String(delivery.response.status) : "\u2014"),
      h("td.num", null, String(delivery.eventCount)),
      h("td.mono", null, delivery.tenantIds.length ? delivery.tenantIds.join(", ") : h("span.muted", null, "\u2014")),
      h("td.error", { title: delivery.reason || "" }, delivery.reason || h("span.muted", null, "\u2014")),
      h("td", null, link(href, "Open", { "aria-label": "Open request " + delivery.id })),
    );
    tr.addEventListener("click", (e) => {
      if (e.target.closest("a, button, input")) return;
      location.hash = href;
    });
    return tr;
  }

  async function load(append) {
    errorSlot.replaceChildren();
    try {
      const page = await api("deliveries", { query: Object.assign({}, filter, { limit: PAGE, cursor: append ? state.nextCursor : undefined }) });
      if (state.disposed) return;
      state.items = append ? state.items.concat(page.items) : page.items;
      state.nextCursor = page.nextCursor;
      tbody.replaceChildren(...state.items.map(row));
      empty.hidden = state.items.length > 0;
      more.hidden = !state.nextCursor;
    } catch (error) {
      if (!state.disposed) errorSlot.replaceChildren(errorBox(error));
    }
  }
  more.addEventListener("click", () => load(true));

  root.append(
    h(
      "div.page-head",
      null,
      h("h1", null, "Inbound requests"),
      h("p.subtitle", null, "Every HTTP request the webhook endpoints received, including the ones refused, with the answer each one got."),
    ),
    form,
    h(
      "div.toolbar",
      null,
      h(
        "div.toolbar-group",
        null,
        h("label.toggle", { for: "d-auto-refresh" }, auto, " Auto-refresh"),
        h("button.button", { type: "button", on: { click: () => load(false) } }, "Refresh"),
      ),
    ),
    errorSlot,
    h(
      "div.table-wrap",
      null,
      h(
        "table.grid",
        { "aria-label": "Inbound requests" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, "Received"),
            h("th", { scope: "col" }, "Integration"),
            h("th", { scope: "col" }, "Status"),
            h("th.num", { scope: "col" }, "Answered"),
            h("th.num", { scope: "col" }, "Events"),
            h("th", { scope: "col" }, "Tenants"),
            h("th", { scope: "col" }, "Reason"),
            h("th", { scope: "col" }, h("span.visually-hidden", null, "Open")),
          ),
        ),
        tbody,
      ),
    ),
    empty,
    h("div.more", null, more),
  );
  load(false);
  schedule();
  return () => {
    state.disposed = true;
    clearInterval(timer);
  };
}

/** A shell-safe single-quoted word. */
const shellQuote = (value) => "'" + String(value).replace(/'/g, "'\\''") + "'";
/** Headers curl sets itself, and ones a replay must not carry. */
const NOT_REPLAYED = new Set(["host", "content-length", "connection", "transfer-encoding", "accept-encoding"]);

/**
 * The request as a curl command for the same integration's webhook URL (set WEBHOOK_URL). Redacted
 * headers (signatures, cookies) are left out: a replay needs a fresh signature.
 */
export function curlCommand(delivery) {
  const lines = ['curl -X POST "${WEBHOOK_URL:?the webhook URL of integration ' + delivery.integration + '}"'];
  const redacted = [];
  for (const name of Object.keys(delivery.headers || {}).sort()) {
    const value = delivery.headers[name];
    if (NOT_REPLAYED.has(name)) continue;
    if (value === "[redacted]") {
      redacted.push(name);
      continue;
    }
    lines.push("-H " + shellQuote(name + ": " + value));
  }
  lines.push(
    delivery.rawBodyEncoding === "base64"
      ? "--data-binary @<(printf %s " + shellQuote(delivery.rawBody) + " | base64 -d)"
      : "--data-binary " + shellQuote(delivery.rawBody),
  );
  return (redacted.length ? "# redacted, so not replayed (sign again): " + redacted.join(", ") + "\n" : "") + lines.join(" \\\n  ");
}

function headersTable(headers, label) {
  const names = Object.keys(headers || {}).sort();
  if (names.length === 0) return h("p.muted", null, "No headers.");
  return h(
    "div.table-wrap",
    null,
    h(
      "table.grid.kv",
      { "aria-label": label },
      h(
        "tbody",
        null,
        names.map((name) => h("tr", null, h("th.mono", { scope: "row" }, name), h("td.mono.wrap", null, headers[name]))),
      ),
    ),
  );
}

/** A body as text: pretty-printed when it is JSON, exactly as received otherwise. */
function bodyBlock(text, label) {
  if (text === "") return h("p.muted", null, "Empty body.");
  try {
    return jsonBlock(JSON.parse(text), label);
  } catch {
    return h("pre.code", { tabindex: "0", "aria-label": label }, text);
  }
}

export function renderDelivery(root, id) {
  let disposed = false;
  const crumbs = () => h("nav.crumbs", { "aria-label": "Breadcrumb" }, link(lastListHash, "\u2190 Inbound requests"));
  root.replaceChildren(crumbs(), loading());

  function render(delivery) {
    const actions = h("div.head-actions");
    if (delivery.reprocessable) {
      // Unparseable: parse again. Direct without an outcome (its process stopped mid-handler): queue its events.
      const title =
        delivery.status === "unparseable"
          ? "Parse the stored body again and queue its events"
          : "No outcome was recorded for this direct request: queue its events so a worker runs the handler (it may have run already)";
      const reprocess = h("button.button.primary", { type: "button", "data-write": true, title }, "Re-process");
      reprocess.addEventListener("click", async () => {
        reprocess.disabled = true;
        try {
          const result = await api("deliveries/" + encodeId(id) + "/reprocess", { method: "POST" });
          toast("Re-processed: " + result.delivery.events.length + " event(s) queued.");
          render(result.delivery);
        } catch (error) {
          toast(error.message, "error");
          reprocess.disabled = false;
        }
      });
      actions.appendChild(reprocess);
    }
    const response = delivery.response;
    root.replaceChildren(
      crumbs(),
      h(
        "div.page-head.event-head",
        null,
        h(
          "div",
          null,
          h("h1", null, "Request ", h("span.mono", null, delivery.id), " ", copyButton(delivery.id, "delivery id")),
          h(
            "p.subtitle",
            null,
            badge(delivery.status),
            " ",
            delivery.integration,
            " \u00b7 ",
            delivery.provider,
            " \u00b7 received ",
            time(delivery.receivedAt),
          ),
        ),
        actions,
      ),
      details([
        ["Status", badge(delivery.status)],
        ["Reason", delivery.reason ? h("span.error-text", null, delivery.reason) : null],
        [
          "Tenants",
          delivery.tenantIds.length
            ? h("span.mono", null, delivery.tenantIds.join(", ") + (delivery.tenantsWithheld ? " (and tenants outside your access)" : ""))
            : null,
        ],
        ["Events", String(delivery.eventCount)],
        ["Duplicate of", delivery.duplicateOf ? link("#/deliveries/" + encodeId(delivery.duplicateOf), delivery.duplicateOf, { class: "mono" }) : null],
        ["De-duplication key", delivery.dedupeKey ? h("span.mono", null, delivery.dedupeKey) : null],
      ]),
      h(
        "section.section",
        { "aria-labelledby": "h-response" },
        h("h2", { id: "h-response" }, "Response given"),
        response
          ? h(
              "div.response",
              null,
              h(
                "p",
                null,
                h(
                  "span.http-status.http-" + String(response.status).charAt(0) + "xx",
                  null,
                  "HTTP " + response.status + (STATUS_TEXT[response.status] ? " " + STATUS_TEXT[response.status] : ""),
                ),
              ),
              h("h3", null, "Body"),
              bodyBlock(response.body, "Response body"),
              h("h3", null, "Headers"),
              headersTable(response.headers, "Response headers"),
            )
          : h("p.muted", null, "No response recorded."),
      ),
      h(
        "section.section",
        { "aria-labelledby": "h-headers" },
        h("h2", { id: "h-headers" }, "Request headers"),
        h("p.muted.small", null, "Signatures, cookies and credentials are redacted before storage."),
        headersTable(delivery.headers, "Request headers"),
      ),
      h(
        "section.section",
        { "aria-labelledby": "h-body" },
        h(
          "h2",
          { id: "h-body" },
          "Raw body ",
          h(
            "span.muted.small",
            null,
            "(" + delivery.rawBodyBytes + " bytes" + (delivery.rawBodyEncoding === "base64" ? ", not UTF-8: shown as base64" : "") + ")",
          ),
        ),
        delivery.rawBodyWithheld
          ? null
          : h(
              "div.json-tools",
              null,
              h("span.copy-curl", null, copyButton(curlCommand(delivery), "as curl")),
              h("span.muted.small", null, " as curl (for this integration's webhook URL)"),
            ),
        delivery.rawBodyWithheld
          ? h("p.note", null, "Withheld: this request also carries changes of tenants outside your access.")
          : delivery.rawBodyEncoding === "base64"
            ? h("pre.code", { tabindex: "0", "aria-label": "Raw body (base64)" }, delivery.rawBody)
            : h("pre.code", { tabindex: "0", "aria-label": "Raw body" }, delivery.rawBody),
      ),
      h(
        "section.section",
        { "aria-labelledby": "h-events" },
        h("h2", { id: "h-events" }, "Events"),
        delivery.events.length === 0
          ? h("p.muted", null, "No event came from this request.")
          : h(
              "div.table-wrap",
              null,
              h(
                "table.grid",
                { "aria-label": "Events of this request" },
                h(
                  "thead",
                  null,
                  h(
                    "tr",
                    null,
                    h("th", { scope: "col" }, "Entity"),
                    h("th", { scope: "col" }, "Tenant"),
                    h("th", { scope: "col" }, "Operation"),
                    h("th", { scope: "col" }, "Status"),
                    h("th", { scope: "col" }, "Last error"),
                  ),
                ),
                h(
                  "tbody",
                  null,
                  delivery.events.map((event) =>
                    h(
                      "tr",
                      null,
                      h("td", null, link("#/events/" + encodeId(event.id), event.entityType + " " + event.entityId)),
                      h("td.mono", null, event.tenantId),
                      h("td", null, event.operation),
                      h("td", null, badge(event.status)),
                      h("td.error", null, event.lastError || h("span.muted", null, "\u2014")),
                    ),
                  ),
                ),
              ),
            ),
        delivery.moreEvents ? h("p.muted.small", null, "Only the newest events are listed; filter the log by this delivery id for all of them.") : null,
      ),
    );
  }

  api("deliveries/" + encodeId(id)).then(
    (delivery) => {
      if (!disposed) render(delivery);
    },
    (error) => {
      if (!disposed) root.replaceChildren(crumbs(), errorBox(error));
    },
  );
  return () => {
    disposed = true;
  };
}
