/** WHERE clauses of SqliteStore lists and counts, built from filters with positional parameters. */
import type { DeliveryFilter, EventFilter } from "../../src/index.ts";
import { asList } from "../../src/store-kit/index.ts";

/** A WHERE fragment with its positional parameters. */
export interface SqlWhere {
  readonly sql: string;
  readonly params: unknown[];
}

function inList(column: string, values: readonly unknown[], clauses: string[], params: unknown[]): void {
  // An empty list matches nothing, as in the in-memory reading of the filter.
  if (values.length === 0) clauses.push("0");
  else {
    clauses.push(`${column} IN (${values.map(() => "?").join(", ")})`);
    params.push(...values);
  }
}

/** The SQL reading of `EventFilter` (same semantics as `eventMatches`). Columns of `events`, unqualified. */
export function eventWhere(filter: EventFilter): SqlWhere {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const integrations = asList(filter.integration);
  if (integrations) inList("integration", integrations, clauses, params);
  const tenants = asList(filter.tenantId);
  if (tenants) inList("tenant_id", tenants, clauses, params);
  const statuses = asList(filter.status);
  if (statuses) inList("status", statuses, clauses, params);
  if (filter.entityType !== undefined) {
    clauses.push("entity_type = ?");
    params.push(filter.entityType);
  }
  if (filter.entityId !== undefined) {
    clauses.push("entity_id = ?");
    params.push(filter.entityId);
  }
  if (filter.deliveryId !== undefined) {
    clauses.push("delivery_id = ?");
    params.push(filter.deliveryId);
  }
  receivedRange(filter, clauses, params);
  if (filter.search) {
    // instr() rather than LIKE: `%` and `_` in the search text are plain characters.
    const needle = filter.search.toLowerCase();
    clauses.push("(instr(lower(id), ?) > 0 OR instr(lower(delivery_id), ?) > 0 OR instr(lower(entity_id), ?) > 0 OR instr(lower(tenant_id), ?) > 0)");
    params.push(needle, needle, needle, needle);
  }
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    clauses.push(
      "(instr(lower(COALESCE(last_error, '')), ?) > 0 OR instr(lower(payload), ?) > 0" +
        " OR EXISTS (SELECT 1 FROM resources WHERE resources.event_id = events.id AND instr(lower(resources.data), ?) > 0))",
    );
    params.push(needle, needle, needle);
  }
  return { sql: clauses.length === 0 ? "1" : clauses.join(" AND "), params };
}

/** The SQL reading of `DeliveryFilter` (same semantics as `deliveryMatches`). Columns of `deliveries`. */
export function deliveryWhere(filter: DeliveryFilter): SqlWhere {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const integrations = asList(filter.integration);
  if (integrations) inList("integration", integrations, clauses, params);
  const tenants = asList(filter.tenantId);
  if (tenants) {
    if (tenants.length === 0) clauses.push("0");
    else {
      clauses.push(`EXISTS (SELECT 1 FROM json_each(deliveries.tenant_ids) WHERE value IN (${tenants.map(() => "?").join(", ")}))`);
      params.push(...tenants);
    }
  }
  const statuses = asList(filter.status);
  if (statuses) inList("status", statuses, clauses, params);
  receivedRange(filter, clauses, params);
  if (filter.search) {
    const needle = filter.search.toLowerCase();
    clauses.push("(instr(lower(id), ?) > 0 OR instr(lower(COALESCE(reason, '')), ?) > 0)");
    params.push(needle, needle);
  }
  return { sql: clauses.length === 0 ? "1" : clauses.join(" AND "), params };
}

/** `receivedFrom` (inclusive) and `receivedTo` (exclusive), shared by events and deliveries. */
function receivedRange(filter: { receivedFrom?: Date; receivedTo?: Date }, clauses: string[], params: unknown[]): void {
  if (filter.receivedFrom) {
    clauses.push("received_at >= ?");
    params.push(filter.receivedFrom.getTime());
  }
  if (filter.receivedTo) {
    clauses.push("received_at < ?");
    params.push(filter.receivedTo.getTime());
  }
}
