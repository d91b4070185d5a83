/** WHERE clauses of PostgresStore lists and counts, built from filters with numbered parameters. */
import type { DeliveryFilter, EventFilter } from "../../src/index.ts";
import { asList } from "../../src/store-kit/index.ts";

/** Collects positional parameters while a statement is assembled. */
export class SqlParams {
  readonly values: unknown[];
  constructor(initial: readonly unknown[] = []) {
    this.values = [...initial];
  }
  /** Adds a value and returns its placeholder (`$n`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * `EventFilter` as SQL: the same semantics as the core's `eventMatches()` (an empty list matches
 * nothing, `receivedTo` is exclusive, `search` is a case-insensitive substring). Returns
 * ` and …` clauses to append after a WHERE.
 */
export function eventWhere(filter: EventFilter, params: SqlParams, schema: string): string {
  let sql = "";
  const integrations = asList(filter.integration);
  if (integrations) sql += ` and integration = any(${params.add(integrations)}::text[])`;
  const tenants = asList(filter.tenantId);
  if (tenants) sql += ` and tenant_id = any(${params.add(tenants)}::text[])`;
  const statuses = asList(filter.status);
  if (statuses) sql += ` and status = any(${params.add(statuses)}::text[])`;
  if (filter.entityType !== undefined) sql += ` and entity_type = ${params.add(filter.entityType)}`;
  if (filter.entityId !== undefined) sql += ` and entity_id = ${params.add(filter.entityId)}`;
  if (filter.deliveryId !== undefined) sql += ` and delivery_id = ${params.add(filter.deliveryId)}`;
  if (filter.receivedFrom) sql += ` and received_at >= ${params.add(filter.receivedFrom)}::timestamptz`;
  if (filter.receivedTo) sql += ` and received_at < ${params.add(filter.receivedTo)}::timestamptz`;
  if (filter.search) {
    const needle = params.add(filter.search.toLowerCase());
    // strpos, not LIKE: the needle needs no escaping of % and _.
    sql += ` and (strpos(lower(id), ${needle}) > 0 or strpos(lower(delivery_id), ${needle}) > 0`;
    sql += ` or strpos(lower(entity_id), ${needle}) > 0 or strpos(lower(tenant_id), ${needle}) > 0)`;
  }
  if (filter.text) {
    const needle = params.add(filter.text.toLowerCase());
    sql += ` and (strpos(lower(coalesce(last_error, '')), ${needle}) > 0 or strpos(lower(coalesce(payload::text, '')), ${needle}) > 0`;
    sql += ` or exists (select 1 from ${schema}.resources r where r.event_id = events.id and strpos(lower(coalesce(r.data::text, '')), ${needle}) > 0))`;
  }
  return sql;
}

/** `DeliveryFilter` as SQL, matching the core's `deliveryMatches()`. */
export function deliveryWhere(filter: DeliveryFilter, params: SqlParams): string {
  let sql = "";
  const integrations = asList(filter.integration);
  if (integrations) sql += ` and integration = any(${params.add(integrations)}::text[])`;
  const tenants = asList(filter.tenantId);
  if (tenants) sql += ` and tenant_ids && ${params.add(tenants)}::text[]`;
  const statuses = asList(filter.status);
  if (statuses) sql += ` and status = any(${params.add(statuses)}::text[])`;
  if (filter.receivedFrom) sql += ` and received_at >= ${params.add(filter.receivedFrom)}::timestamptz`;
  if (filter.receivedTo) sql += ` and received_at < ${params.add(filter.receivedTo)}::timestamptz`;
  if (filter.search) {
    const needle = params.add(filter.search.toLowerCase());
    sql += ` and (strpos(lower(id), ${needle}) > 0 or strpos(lower(coalesce(reason, '')), ${needle}) > 0)`;
  }
  return sql;
}

/** Keyset paging: ids below the cursor, newest first, one extra row to know whether a next page exists. */
export function pageWhere(cursor: string | undefined, params: SqlParams): string {
  return cursor === undefined ? "" : ` and id < ${params.add(cursor)}`;
}
