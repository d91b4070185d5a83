import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import * as rootExport from "webhook-inbox";
import * as adapterKit from "webhook-inbox/adapter-kit";
import * as providerKit from "webhook-inbox/provider-kit";
import * as storeKit from "webhook-inbox/store-kit";

const root = new URL("../..", import.meta.url).pathname;
const PEERS = ["express", "fastify", "pg", "better-sqlite3", "bullmq", "pg-boss", "ioredis", "@opentelemetry/api", "vitest", "playwright-core"];
/** The one adapter folder allowed to load each peer. */
const PEER_HOME: Record<string, string> = {
  express: "express",
  fastify: "fastify",
  pg: "postgres",
  "better-sqlite3": "sqlite",
  bullmq: "bullmq",
  "pg-boss": "pg-boss",
  "@opentelemetry/api": "opentelemetry",
};

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Runtime imports only: `import type` and `export type` never load anything. */
function runtimeImports(path: string): string[] {
  const source = readFileSync(join(root, path), "utf8");
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+["']([^"']+)["']/gms)) specifiers.push(match[1]!);
  for (const match of source.matchAll(/(?:require|import)\(\s*["']([^"']+)["']\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** The core's public entries an adapter may load: the app's root export and the three kits. */
const PUBLIC_CORE = ["../../src/index.ts", "../../src/store-kit/index.ts", "../../src/provider-kit/index.ts", "../../src/adapter-kit/index.ts"];

describe("module boundaries", () => {
  it("the core (src/, testing aside) loads no optional peer and nothing from adapters/", () => {
    for (const path of files("src").filter((file) => !file.startsWith("src/testing/"))) {
      for (const specifier of runtimeImports(path)) {
        expect(PEERS.includes(specifier), `${path} imports ${specifier}`).toBe(false);
        expect(specifier.includes("adapters/"), `${path} imports ${specifier}`).toBe(false);
      }
    }
  });

  it("adapters use only the public surface of the core and only their own peer", () => {
    for (const path of files("adapters")) {
      const folder = path.split("/")[1]!;
      for (const specifier of runtimeImports(path)) {
        if (specifier.startsWith("../../src/")) expect(PUBLIC_CORE, `${path} imports ${specifier}`).toContain(specifier);
        if (PEERS.includes(specifier)) expect(PEER_HOME[specifier], `${path} loads ${specifier}`).toBe(folder);
        expect(
          specifier.startsWith("../") && !specifier.startsWith("../../src/") && !specifier.startsWith(`../${folder}/`),
          `${relative(root, path)} reaches into ${specifier}`,
        ).toBe(false);
      }
    }
  });

  it("the root export is what an app uses; store, provider and adapter building blocks are on their kits", () => {
    expect(Object.keys(rootExport).sort()).toEqual([
      "ADMIN_ROUTES",
      "ATTEMPT_TRIGGERS",
      "DELIVERY_STATUSES",
      "EVENT_STATUSES",
      "MODES",
      "MemoryStore",
      "ProviderRequestError",
      "RateLimitedError",
      "ReauthorizationRequiredError",
      "StoreError",
      "TimerScheduler",
      "WebhookConfigError",
      "WebhookInboxError",
      "WebhookPayloadError",
      "WebhookProcessor",
      "WebhookRequestError",
      "WebhookVerificationError",
      "attemptsRemaining",
      "consoleLogger",
      "createAdminHandler",
      "createFetchHandler",
      "createWebhookInbox",
      "describeError",
      "httpBasic",
      "isWebhookInboxError",
      "readBasicCredentials",
      "safeEqual",
      "signedCookie",
      "singleFlightTokens",
      "systemClock",
    ]);
    expect(Object.keys(adapterKit).sort()).toEqual([
      "QueuedPasses",
      "isWebhookReceiver",
      "loggerSchema",
      "nodeBodySource",
      "parseOptions",
      "readCappedBody",
      "validateOptions",
      "webBodySource",
      "webhookInboxOptionsSchema",
      "webhookReceiverSchema",
    ]);
    expect(Object.keys(storeKit).sort()).toEqual([
      "DEFAULT_PAGE_SIZE",
      "GroupCommitter",
      "MAX_PAGE_SIZE",
      "asList",
      "createId",
      "deliveryMatches",
      "entityKeyString",
      "eventMatches",
      "isNewerWatermark",
      "pageSize",
      "planGroupClaim",
      "planGroupClaimSteps",
      "planGroupClaimWith",
      "poisonMessage",
      "reconcileRunFromJson",
      "reconcileRunToJson",
    ]);
    expect(Object.keys(providerKit).sort()).toEqual([
      "callWithAccessToken",
      "computeHmacSha256",
      "dateTimeOrEpochMsSchema",
      "decodeJsonBody",
      "emptyAcknowledgement",
      "isPlainRecord",
      "isoDateTimeSchema",
      "jsonAcknowledgement",
      "mergeProviderLimits",
      "parseIsoDateTime",
      "parseRetryAfterMs",
      "providerLimitsOverrideSchema",
      "quickText",
      "screenIds",
      "verifyAndParseWith",
      "verifyHmacSignature",
    ]);
  });
});
