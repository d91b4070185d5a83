// @ts-check
// One event: Details, Attempts and Resource Data tabs, and a Retry button.
import { api, encodeId } from "./api.js";
import { h, time, duration, badge, jsonBlock, details, link, toast, errorBox, loading, copyButton } from "./dom.js";
import { logHash } from "./log-view.js";

const TABS = [
  { id: "details", label: "Details" },
  { id: "attempts", label: "Attempts" },
  { id: "resource", label: "Resource Data" },
];

export function renderEvent(root, id, params) {
  let disposed = false;
  let current = TABS.some((tab) => tab.id === params.get("tab")) ? params.get("tab") : "details";
  root.replaceChildren(h("nav.crumbs", { "aria-label": "Breadcrumb" }, link(logHash(), "\u2190 Incoming webhooks")), loading());

  let shownVersion = null;
  async function load() {
    try {
      const event = await api("events/" + encodeId(id));
      if (disposed) return;
      // Auto-refresh re-renders only when something changed (keeps focus and the open tab).
      const version = event.status + "/" + event.attempts.length + "/" + (event.resourceData ? event.resourceData.downloadedAt : "");
      if (version === shownVersion) return;
      shownVersion = version;
      render(event);
    } catch (error) {
      if (!disposed) root.replaceChildren(h("nav.crumbs", { "aria-label": "Breadcrumb" }, link(logHash(), "\u2190 Incoming webhooks")), errorBox(error));
    }
  }

  function render(event) {
    const retry = h(
      "button.button.primary",
      {
        type: "button",
        "data-write": true,
        disabled: event.status === "succeeded",
        title: event.status === "succeeded" ? "A succeeded event is not retried" : "Run a manual attempt now (spends no automatic attempt)",
      },
      "Retry now",
    );
    retry.addEventListener("click", async () => {
      retry.disabled = true;
      retry.textContent = "Retrying\u2026";
      try {
        const result = await api("events/" + encodeId(id) + "/retry", { method: "POST" });
        const last = result.event.attempts[result.event.attempts.length - 1];
        toast(
          "Manual attempt " + (last ? last.number + ": " + last.outcome.replace("_", " ") : "done") + " \u2014 status is now " + result.event.status + ".",
          last && last.outcome !== "succeeded" ? (last.outcome === "stale" || last.outcome === "rate_limited" ? "info" : "error") : undefined,
        );
        render(result.event);
        focusTab();
      } catch (error) {
        toast(error.message, "error");
        retry.disabled = false;
        retry.textContent = "Retry now";
      }
    });

    const tabButtons = TABS.map((tab) =>
      h(
        "button.tab",
        {
          type: "button",
          role: "tab",
          id: "tab-" + tab.id,
          "aria-controls": "panel-" + tab.id,
          "aria-selected": tab.id === current ? "true" : "false",
          tabindex: tab.id === current ? "0" : "-1",
        },
        tab.label,
        tab.id === "attempts" ? h("span.tab-count", null, String(event.attempts.length)) : null,
      ),
    );
    const panel = h("div.panel", { role: "tabpanel", id: "panel-" + current, "aria-labelledby": "tab-" + current, tabindex: "0" });
    const tablist = h("div.tabs", { role: "tablist", "aria-label": "Event" }, tabButtons);

    function select(tabId, focus) {
      current = tabId;
      tabButtons.forEach((button, index) => {
        const on = TABS[index].id === tabId;
        button.setAttribute("aria-selected", on ? "true" : "false");
        button.tabIndex = on ? 0 : -1;
        if (on && focus) button.focus();
      });
      panel.id = "panel-" + tabId;
      panel.setAttribute("aria-labelledby", "tab-" + tabId);
      panel.replaceChildren(tabContent(event, tabId));
      // Keep the tab in the address without adding a history entry or re-rendering.
      history.replaceState(null, "", "#/events/" + encodeId(id) + (tabId === "details" ? "" : "?tab=" + tabId));
    }
    tabButtons.forEach((button, index) => {
      button.addEventListener("click", () => select(TABS[index].id, false));
      button.addEventListener("keydown", (e) => {
        const at = TABS.findIndex((tab) => tab.id === current);
        let next = null;
        if (e.key === "ArrowRight") next = (at + 1) % TABS.length;
        else if (e.key === "ArrowLeft") next = (at - 1 + TABS.length) % TABS.length;
        else if (e.key === "Home") next = 0;
        else if (e.key === "End") next = TABS.length - 1;
        if (next === null) return;
        e.preventDefault();
        select(TABS[next].id, true);
      });
    });

    root.replaceChildren(
      h("nav.crumbs", { "aria-label": "Breadcrumb" }, link(logHash(), "\u2190 Incoming webhooks")),
      h(
        "div.page-head.event-head",
        null,
        h(
          "div",
          null,
          h("h1", null, h("span.entity-type", null, event.entityType), " ", h("span.mono", null, event.entityId)),
          h(
            "p.subtitle",
            null,
            badge(event.status),
            " ",
            event.operation,
            " \u00b7 ",
            event.integration,
            " \u00b7 tenant ",
            h("span.mono", null, event.tenantId),
          ),
        ),
        h("div.head-actions", null, retry),
      ),
      tablist,
      panel,
    );
    panel.replaceChildren(tabContent(event, current));
  }

  function focusTab() {
    const selected = root.querySelector('[role="tab"][aria-selected="true"]');
    if (selected) selected.focus();
  }

  load();
  // While the event can still change (queued, processing, retrying), it refreshes itself.
  const timer = setInterval(() => {
    const status = shownVersion ? shownVersion.split("/")[0] : null;
    if (status === "queued" || status === "processing" || status === "retrying") load();
  }, 5000);
  return () => {
    disposed = true;
    clearInterval(timer);
  };
}

function tabContent(event, tab) {
  if (tab === "attempts") return attemptsTab(event);
  if (tab === "resource") return resourceTab(event);
  return detailsTab(event);
}

function detailsTab(event) {
  const final = event.status === "succeeded" || event.status === "failed" || event.status === "stale";
  let superseded = null;
  if (event.supersededBy) {
    superseded = event.supersededBy.startsWith("download:")
      ? h("span", null, "data downloaded at ", time(event.supersededBy.slice("download:".length)))
      : link("#/events/" + encodeId(event.supersededBy), event.supersededBy, { class: "mono" });
  }
  return h(
    "div",
    null,
    h(
      "div.detail-grid",
      null,
      h(
        "section.detail-card",
        { "aria-labelledby": "h-processing" },
        h("h2", { id: "h-processing" }, "Processing"),
        details([
          ["Status", badge(event.status)],
          ["Attempts made", String(event.attemptsMade) + " of " + String(event.maxAttempts) + " automatic"],
          [
            "Attempts remaining",
            event.status === "succeeded" || event.status === "stale" ? "none (the event is " + event.status + ")" : String(event.attemptsRemaining),
          ],
          ["Next attempt", final ? null : h("span", null, time(event.nextAttemptAt), event.nextAttemptAt ? " (" + event.nextTrigger + ")" : "")],
          // A stale skip is information (a newer change was applied), not a failure.
          [
            event.status === "stale" ? "Why skipped" : "Last error",
            event.lastError ? h(event.status === "stale" ? "span.info-text" : "span.error-text", null, event.lastError) : null,
          ],
          event.status === "stale" || event.supersededBy ? ["Superseded by", superseded] : null,
          ["Mode", event.mode],
          ["Updated at", time(event.updatedAt)],
        ]),
      ),
      h(
        "section.detail-card",
        { "aria-labelledby": "h-webhook" },
        h("h2", { id: "h-webhook" }, "Webhook"),
        details([
          ["Event id", h("span", null, h("span.mono", null, event.id), " ", copyButton(event.id, "event id"))],
          [
            "Delivery",
            h(
              "span",
              null,
              link("#/deliveries/" + encodeId(event.deliveryId), event.deliveryId, { class: "mono" }),
              " ",
              copyButton(event.deliveryId, "delivery id"),
            ),
          ],
          ["Integration", event.integration + " (" + event.provider + ")"],
          ["Tenant", h("span.mono", null, event.tenantId)],
          ["Entity", event.entityType + " " + event.entityId],
          ["Operation", event.operation + (event.deleted ? " (entity deleted)" : "")],
          ["Occurred at", time(event.occurredAt)],
          ["Received at", time(event.receivedAt)],
        ]),
      ),
    ),
    h("h2", null, "Webhook payload"),
    jsonBlock(event.payload, "Webhook payload"),
  );
}

function attemptsTab(event) {
  if (event.attempts.length === 0) return h("p.empty", null, "No attempt yet.");
  return h(
    "div.table-wrap",
    null,
    h(
      "table.grid.attempts",
      { "aria-label": "Attempts" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th.num", { scope: "col" }, "#"),
          h("th", { scope: "col" }, "Trigger"),
          h("th", { scope: "col" }, "Outcome"),
          h("th", { scope: "col" }, "Started"),
          h("th", { scope: "col" }, "Ended"),
          h("th.num", { scope: "col" }, "Took"),
          h("th", { scope: "col" }, "Error"),
        ),
      ),
      h(
        "tbody",
        null,
        event.attempts.map((attempt) =>
          h(
            "tr",
            null,
            h("td.num", null, String(attempt.number)),
            h("td", null, attempt.trigger),
            h("td", null, badge(attempt.outcome)),
            h("td.nowrap", null, time(attempt.startedAt)),
            h("td.nowrap", null, time(attempt.endedAt)),
            h("td.num", null, duration(attempt.startedAt, attempt.endedAt)),
            h("td.error.wrap" + (attempt.outcome === "stale" ? ".info" : ""), null, attempt.error ? attempt.error : h("span.muted", null, "\u2014")),
          ),
        ),
      ),
    ),
  );
}

function resourceTab(event) {
  const data = event.resourceData;
  if (!data) return h("p.empty", null, event.deleted ? "The entity was deleted: nothing is downloaded." : "Nothing downloaded yet.");
  return h(
    "div",
    null,
    details([["Downloaded at", time(data.downloadedAt)]]),
    data.data === null ? h("p.empty", null, "The provider returned no data (the entity is deleted or was not found).") : jsonBlock(data.data, "Resource data"),
  );
}
