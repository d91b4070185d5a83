import { ProviderRequestError } from "../errors.ts";
import type { ResourceResult } from "../contracts/provider-adapter.ts";

/**
 * Screens the ids of a fetch before anything is sent: ids the provider could never serve (a value
 * that does not fit its id format, or an entity type it has no endpoint for) fail on their own,
 * not retried, so one bad id never spoils the request for its neighbours.
 * Returns the distinct ids worth fetching and the results already known.
 */
export function screenIds(
  ids: readonly string[],
  check: {
    /** Why the whole entity type cannot be fetched, or `undefined` when it can. */
    readonly typeProblem?: string | undefined;
    /** True for an id the provider can look up. */
    readonly isValid: (id: string) => boolean;
    /** The error text for an invalid id (given a shortened copy of it). */
    readonly invalid: (shownId: string) => string;
  },
): { valid: string[]; results: Map<string, ResourceResult> } {
  const results = new Map<string, ResourceResult>();
  const distinct = [...new Set(ids)];
  if (check.typeProblem !== undefined) {
    const error = new ProviderRequestError(check.typeProblem, { retryable: false });
    for (const id of distinct) results.set(id, { status: "error", error });
    return { valid: [], results };
  }
  const valid: string[] = [];
  for (const id of distinct) {
    if (check.isValid(id)) valid.push(id);
    else results.set(id, { status: "error", error: new ProviderRequestError(check.invalid(JSON.stringify(id.slice(0, 70))), { retryable: false }) });
  }
  return { valid, results };
}
