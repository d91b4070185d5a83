/** LISTEN on one dedicated connection: wakes a worker when another process NOTIFYs that work is stored. */
import pRetry from "p-retry";
import type { PgClientLike, PgPoolLike } from "./pg-like.ts";

/** First and longest wait before reconnecting a lost LISTEN connection. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * One dedicated connection that LISTENs on a channel and calls `onWork` for each notification.
 * When the connection fails it is destroyed and re-opened with capped backoff (p-retry, until it
 * connects or the listener stops); after every
 * reconnect `onWork` is called once, since notifications sent while disconnected are lost
 * (pg-boss `listen` + `onReconnect`). Polling stays the fallback, so a wake-up is only a hint.
 */
export class NotificationListener {
  readonly #pool: PgPoolLike;
  readonly #channel: string;
  readonly #onWork: () => void;
  #client: PgClientLike | null = null;
  #reconnecting: AbortController | null = null;
  #stopped = false;

  constructor(pool: PgPoolLike, channel: string, onWork: () => void) {
    this.#pool = pool;
    this.#channel = channel;
    this.#onWork = onWork;
  }

  /** Opens the connection; throws when the first attempt fails (the caller wraps it). */
  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reconnecting?.abort();
    this.#reconnecting = null;
    const client = this.#client;
    this.#client = null;
    if (!client) return;
    client.removeListener("notification", this.#onNotification);
    try {
      await client.query(`unlisten "${this.#channel}"`);
      this.#detach(client, false);
      client.release();
    } catch (error) {
      // The connection is already broken: destroy it rather than return it to the pool.
      this.#detach(client);
      client.release(error instanceof Error ? error : true);
    }
  }

  #onNotification = (): void => {
    this.#wake();
  };

  #onError = (error: Error): void => {
    const client = this.#client;
    this.#client = null;
    if (client) {
      this.#detach(client);
      client.release(error);
    }
    this.#scheduleReconnect();
  };

  async #connect(): Promise<void> {
    const client = await this.#pool.connect();
    client.on("notification", this.#onNotification);
    client.on("error", this.#onError);
    try {
      await client.query(`listen "${this.#channel}"`);
    } catch (error) {
      this.#detach(client);
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    if (this.#stopped) {
      // stop() ran while we were connecting: destroy the connection so no LISTEN goes back to the pool.
      this.#detach(client);
      client.release(true);
      return;
    }
    this.#client = client;
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnecting !== null) return;
    const controller = new AbortController();
    this.#reconnecting = controller;
    const attempt = async () => {
      try {
        await this.#connect();
      } catch (error) {
        // p-retry gives up at once on a TypeError; any failure to connect is worth another try here.
        throw error instanceof TypeError ? new Error(error.message, { cause: error }) : error;
      }
    };
    // Still down: try again with capped backoff; the processor keeps polling meanwhile.
    pRetry(attempt, {
      retries: Number.POSITIVE_INFINITY,
      factor: 2,
      minTimeout: RECONNECT_MIN_MS,
      maxTimeout: RECONNECT_MAX_MS,
      signal: controller.signal,
      unref: true,
    }).then(
      () => {
        if (this.#reconnecting === controller) this.#reconnecting = null;
        this.#wake();
      },
      () => {
        // Aborted by stop(): nothing more to do.
        if (this.#reconnecting === controller) this.#reconnecting = null;
      },
    );
  }

  #wake(): void {
    if (this.#stopped) return;
    try {
      this.#onWork();
    } catch {
      // A wake-up is a hint; the subscriber's own polling recovers whatever its callback failed to do.
    }
  }

  /** Removes our listeners; a client about to be destroyed keeps a silent "error" listener. */
  #detach(client: PgClientLike, destroying = true): void {
    client.removeListener("notification", this.#onNotification);
    client.removeListener("error", this.#onError);
    // A dying connection can still emit "error"; an unheard one would crash the process.
    if (destroying) client.on("error", ignoreLateError);
  }
}

function ignoreLateError(): void {
  // The connection was already given up (released with destroy); nothing is left to recover.
}
