/**
 * @module webhook-inbox/testing
 * Helpers for testing hosts' handlers and their own stores and schedulers.
 */
export * from "./store-conformance.ts";
export * from "./scheduler-conformance.ts";
export * from "./test-provider.ts";
export * from "./manual-clock.ts";
export * from "./provider-signers.ts";
export { FakeCallCounters, FakeRecordStore, type FakeCall, type FakeProviderApi, type FakeRateWindow } from "./fake-api-kit.ts";
export * from "./fake-quickbooks.ts";
export * from "./fake-xero.ts";
export * from "./provider-sender.ts";
