// What an HTTP adapter hands to the inbox's `receive()`: the request as received, or why its body is missing.

/** What an HTTP adapter hands to `receive()`. */
export interface ReceiveInput {
  /** Integration id (a key of `integrations`). */
  readonly integration: string;
  /** The exact bytes of the request body. */
  readonly rawBody: Uint8Array;
  readonly headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
  /** @default "POST" */
  readonly method?: string;
  /** The adapter stopped reading the body past `maxBodyBytes`. */
  readonly truncated?: boolean;
  /**
   * The adapter has no body to hand over: a body parser consumed it first (`consumed`: answered 500
   * with `message`, the fix), or the client went away or sent a broken body mid-upload (`broken`:
   * answered 400). Either way the request is logged as a rejected delivery with `message` as its reason.
   */
  readonly unread?: UnreadBody;
}

/** Why an adapter could not read a request's body. */
export interface UnreadBody {
  readonly cause: "consumed" | "broken";
  /** The answer's error code, e.g. `BODY_ALREADY_PARSED` or `CLIENT_DISCONNECTED`. */
  readonly code: string;
  readonly message: string;
}
