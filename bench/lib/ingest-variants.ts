/** The server variants the ingest measurement compares (shared by the bench and its server child). */
export const INGEST_VARIANTS = [
  "fastify-bare",
  "express-bare",
  "fastify-inbox-discard",
  "fastify-inbox-memory",
  "fastify-inbox-sqlite",
  "fastify-inbox-sqlite-normal",
  "fastify-inbox-postgres",
  "express-inbox-memory",
  "fastify-bullmq",
] as const;
export type IngestVariant = (typeof INGEST_VARIANTS)[number];
