// @ts-check
// Settings: the service switch and each integration's processing mode.
import { api, settings } from "./api.js";
import { h, toast, errorBox, loading, time } from "./dom.js";

const MODES = [
  { id: "direct", label: "Direct", help: "Classic: processed inside the webhook request and never retried. Only for fast handlers." },
  { id: "immediate", label: "Immediate", help: "Recommended: answered 202 at once, then processed right away, with retries (3 attempts by default)." },
  { id: "delayed", label: "Delayed", help: "For integrations hitting 429s: answered 202, then processed in batches by the scheduler." },
];

/** "Changed by alice, <time>" for a stored change; the option's value otherwise. */
function changeNote(change, what) {
  if (!change) return h("p.change.muted", null, what + " from the app's options (not changed since).");
  return h("p.change.muted", null, "Changed by ", h("strong", null, change.changedBy ?? "an unnamed operator"), ", ", time(change.changedAt), ".");
}

export function renderSettings(root) {
  let disposed = false;
  root.replaceChildren(h("div.page-head", null, h("h1", null, "Settings")), loading());

  async function change(path, body, done) {
    try {
      const next = await api(path, { method: "PUT", body });
      settings(true);
      toast(done);
      render(next);
    } catch (error) {
      toast(error.message, "error");
      render(await settings(true));
    }
  }

  function render(current) {
    if (disposed) return;
    const canChange = current.access.canChangeSettings;
    const serviceSwitch = h(
      "button.switch",
      { type: "button", role: "switch", "aria-checked": current.serviceEnabled ? "true" : "false", "aria-labelledby": "service-label", disabled: !canChange },
      h("span.switch-track", { "aria-hidden": "true" }, h("span.switch-thumb")),
      h("span.switch-text", null, current.serviceEnabled ? "On" : "Off"),
    );
    serviceSwitch.addEventListener("click", () =>
      change(
        "settings/service",
        { enabled: !current.serviceEnabled },
        current.serviceEnabled
          ? "Service switched off: every integration now runs in direct mode."
          : "Service switched on: each integration runs in its own mode.",
      ),
    );

    const cards = current.integrations.map((integration) => {
      const name = "mode-" + integration.id;
      return h(
        "fieldset.card.mode-card",
        { disabled: !canChange },
        h("legend", null, h("span.integration-name", null, integration.id), " ", h("span.muted", null, "(" + integration.provider + ")")),
        changeNote(integration.modeChange, "Mode"),
        integration.effectiveMode !== integration.mode ? h("p.note", null, "The service is off, so this integration runs in direct mode for now.") : null,
        h(
          "div.mode-options",
          null,
          MODES.map((mode) => {
            const id = name + "-" + mode.id;
            const input = h("input", { type: "radio", name, id, value: mode.id, checked: integration.mode === mode.id, "aria-describedby": id + "-help" });
            input.addEventListener("change", () => {
              if (input.checked)
                change("settings/integrations/" + encodeURIComponent(integration.id), { mode: mode.id }, integration.id + " now runs in " + mode.id + " mode.");
            });
            return h("div.mode-option", null, input, h("label", { for: id }, h("strong", null, mode.label), h("span.help", { id: id + "-help" }, mode.help)));
          }),
        ),
      );
    });

    root.replaceChildren(
      h(
        "div.page-head",
        null,
        h("h1", null, "Settings"),
        canChange
          ? null
          : h(
              "p.note",
              null,
              current.access.readOnly
                ? "You can see these settings but not change them: your access is read-only."
                : "You can see these settings but not change them: your access is limited to some tenants.",
            ),
        h(
          "p.subtitle",
          null,
          current.shared
            ? "Changes are saved in the store: every server instance applies them within " +
                Math.ceil((current.refreshMs ?? 0) / 1000) +
                " s (at once on PostgreSQL), and they survive restarts."
            : "Changes apply to this server process at once (this store keeps no shared settings: they are not saved across restarts).",
        ),
      ),
      h(
        "section.card",
        { "aria-labelledby": "service-label" },
        h(
          "div.service-row",
          null,
          h(
            "div",
            null,
            h("h2", { id: "service-label" }, "Processing service"),
            h(
              "p.help",
              null,
              "On: each integration uses its mode below. Off: every integration falls back to direct mode (processed in the request, never retried).",
            ),
            changeNote(current.serviceChange, "Setting"),
          ),
          serviceSwitch,
        ),
      ),
      h("h2.section-title", null, "Integrations"),
      cards.length ? h("div.cards", null, cards) : h("p.empty", null, "No integration is configured."),
    );
  }

  settings(true).then(render, (error) => {
    if (!disposed) root.replaceChildren(h("div.page-head", null, h("h1", null, "Settings")), errorBox(error));
  });
  return () => {
    disposed = true;
  };
}
