// @ts-check
// Bulk-retry results: what became of each selected event — refused, re-queued, then its new status as it is processed.
import { api, encodeId } from "./api.js";
import { h } from "./dom.js";

const FOLLOW_MS = 1000;
const FOLLOW_LIMIT = 120;

/** Why an event was not re-queued, from the status the log showed it with. */
function refusal(item) {
  if (item && item.status === "succeeded") return "refused: already succeeded (a succeeded event is never retried)";
  if (item && item.status === "processing") return "refused: being processed right now";
  return "refused (already succeeded or being processed)";
}

/** What a re-queued event's status says once a manual attempt has run (null while it waits). */
function afterward(event) {
  switch (event.status) {
    case "succeeded":
      return { text: "re-queued \u2192 succeeded", kind: "ok" };
    case "stale":
      return {
        text:
          "re-queued \u2192 stale: superseded by " +
          (event.supersededBy || "a newer change") +
          " (newer data was already applied, so the handler was not called)",
        kind: "info",
      };
    case "failed":
      return { text: "re-queued \u2192 failed again: " + (event.lastError || "no error recorded"), kind: "error" };
    // Still manual: the provider throttled the attempt and it waits for the limiter; not an outcome yet.
    case "retrying":
      return event.nextTrigger !== "manual"
        ? { text: "re-queued \u2192 failed, automatic attempts left: " + (event.lastError || "no error recorded"), kind: "error" }
        : null;
    default:
      return null;
  }
}

/**
 * The "Retry results" panel for `ids`: refused ones say why; re-queued ones are followed (one read
 * each per second, for up to two minutes) until the manual attempt has run, then say how it ended.
 * Returns the panel and a stop function (call it when the view goes away).
 * @param {string[]} ids
 * @param {{ requeued: string[] }} result
 * @param {Map<string, any>} shown the log's rows by id
 * @param {() => void} onDismiss
 */
export function retryResults(ids, result, shown, onDismiss) {
  const requeued = new Set(result.requeued);
  const name = (id) => {
    const item = shown.get(id);
    return item ? item.entityType + " " + item.entityId : id;
  };
  /** @type {Map<string, HTMLElement>} */
  const lines = new Map();
  for (const id of ids) {
    lines.set(
      id,
      h(
        "li",
        { "data-id": id, "data-outcome": requeued.has(id) ? "requeued" : "refused" },
        name(id) + ": " + (requeued.has(id) ? "re-queued for a manual attempt" : refusal(shown.get(id))),
      ),
    );
  }
  let stopped = false;
  let rounds = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  const waiting = new Set(result.requeued);
  const started = new Map([...waiting].map((id) => [id, shown.get(id) ? shown.get(id).attemptsFinished : undefined]));
  async function follow() {
    timer = null;
    if (stopped || waiting.size === 0 || rounds++ >= FOLLOW_LIMIT) return;
    await Promise.all(
      [...waiting].map(async (id) => {
        try {
          const event = await api("events/" + encodeId(id));
          const before = started.get(id);
          // Only an attempt finished after the re-queue tells how the retry went.
          if (before !== undefined && event.attemptsFinished <= before) return;
          const outcome = afterward(event);
          if (!outcome || stopped) return;
          waiting.delete(id);
          const line = lines.get(id);
          if (!line) return;
          line.textContent = name(id) + ": " + outcome.text;
          line.dataset.outcome = event.status;
          line.className = "retry-" + outcome.kind;
        } catch {
          // A read that fails (server away for a moment) is tried again on the next round.
        }
      }),
    );
    if (!stopped && waiting.size > 0) timer = setTimeout(follow, FOLLOW_MS);
  }
  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
  const panel = h(
    "div.note.retry-results",
    { role: "status", "aria-label": "Retry results" },
    h("strong", null, "Retry results"),
    h("ul", null, [...lines.values()]),
    h(
      "button.button.small",
      {
        type: "button",
        on: {
          click: () => {
            stop();
            onDismiss();
          },
        },
      },
      "Dismiss",
    ),
  );
  if (waiting.size > 0) timer = setTimeout(follow, FOLLOW_MS);
  return { panel, stop };
}
