// @ts-check
// Reconciliation: the run log (when, windows, found, already applied, new = webhooks we missed, calls), a run started for a tenant, a run's events.
import { api } from "./api.js";
import { h, time, errorBox, loading, toast, link } from "./dom.js";

const REFRESH_MS = 10000;

function windowsCell(run) {
  if (run.windows.length === 0) return h("span.muted", null, "\u2014");
  return h(
    "ul.windows",
    null,
    run.windows.map((window) => h("li", null, window.entityType + " (" + window.path + "): " + window.found + " found in " + window.calls + " call(s)")),
  );
}

function row(run) {
  return h(
    "tr",
    { "data-run": run.id },
    h("td", null, time(run.startedAt)),
    h("td.mono", null, run.integration + " / " + run.tenantId),
    h(
      "td",
      null,
      h("span.badge.badge-" + (run.status === "succeeded" ? "succeeded" : run.status === "failed" ? "failed" : "retrying"), null, run.status),
      run.resumeAt ? h("div.small", null, "resumes ", time(run.resumeAt)) : null,
      run.error ? h("div.muted.small", null, run.error) : null,
    ),
    h("td", null, windowsCell(run)),
    h("td.num", null, String(run.found)),
    h("td.num", null, String(run.alreadyApplied)),
    h("td.num", { "data-new": String(run.new) }, String(run.new)),
    h("td.num", null, String(run.calls)),
    h(
      "td",
      null,
      run.deliveryIds.map((id) => h("div", null, link("#/events?deliveryId=" + encodeURIComponent(id), "events"))),
    ),
    h(
      "td.small",
      null,
      run.notes.map((note) => h("div", null, note)),
    ),
  );
}

export function renderReconcile(root) {
  let disposed = false;
  const tbody = h("tbody");
  const missed = h("strong", { "data-missed": "" }, "0");
  const empty = h("p.empty", { hidden: true }, "No reconciliation run yet.");
  const errorSlot = h("div");
  const integration = h("input", { name: "integration", placeholder: "integration", "aria-label": "Integration" });
  const tenant = h("input", { name: "tenantId", placeholder: "tenant (all when empty)", "aria-label": "Tenant" });
  root.replaceChildren(loading());

  async function load() {
    try {
      const { items, missed: count } = await api("reconcile/runs");
      if (disposed) return;
      errorSlot.replaceChildren();
      tbody.replaceChildren(...items.map(row));
      missed.textContent = String(count);
      empty.hidden = items.length > 0;
    } catch (error) {
      if (!disposed) errorSlot.replaceChildren(errorBox(error));
    }
  }

  async function start(event) {
    event.preventDefault();
    try {
      const body = tenant.value ? { integration: integration.value, tenantId: tenant.value } : { integration: integration.value };
      const { items } = await api("reconcile/runs", { method: "POST", body });
      toast(items.length + " run(s): " + items.reduce((sum, run) => sum + run.new, 0) + " missed change(s) found", "success");
      await load();
    } catch (error) {
      errorSlot.replaceChildren(errorBox(error));
    }
  }

  root.replaceChildren(
    h(
      "div.page-head",
      null,
      h("h1", null, "Reconciliation"),
      h(
        "p.subtitle",
        null,
        "Runs that asked the provider what changed; \u201cnew\u201d changes are webhooks that never arrived. Webhooks we missed (listed runs): ",
        missed,
      ),
    ),
    h("form.toolbar", { on: { submit: start } }, integration, tenant, h("button.button", { type: "submit" }, "Reconcile now")),
    errorSlot,
    h(
      "div.table-wrap",
      null,
      h(
        "table.grid",
        { "aria-label": "Reconciliation runs" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ...["Started", "Tenant", "Status", "Windows", "Found", "Already applied", "New", "Calls", "Events", "Notes"].map((label) =>
              h("th", { scope: "col" }, label),
            ),
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
