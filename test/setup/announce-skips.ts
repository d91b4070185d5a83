import { existsSync } from "node:fs";

/** Says once, up front, which suites will be skipped on this machine and how to run them. */
export default function announceSkips(): void {
  if (!process.env.DATABASE_URL) {
    console.log(
      "[webhook-inbox tests] DATABASE_URL is not set: the PostgreSQL tests are skipped. " +
        "Run them with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test (.ci/run sets it).",
    );
  }
  if (!existsSync("/usr/bin/chromium")) {
    console.log("[webhook-inbox tests] /usr/bin/chromium is missing: the dashboard browser tests are skipped (apt-get install chromium).");
  }
}
