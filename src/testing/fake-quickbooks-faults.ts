// QuickBooks fault bodies the fake answers with: throttle (XML and JSON), monthly quota, system fault.
import type { QuickBooksFault } from "./fake-quickbooks-query.ts";

/**
 * Intuit's throttle body, byte for byte as posted in intuit/QuickBooks-V3-PHP-SDK#54
 * (also quoted in ruckus/quickbooks-ruby PR #348). QuickBooks sends it as XML even to JSON requests.
 */
export const QUICKBOOKS_THROTTLE_FAULT_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<IntuitResponse time="2017-07-30T22:45:22.933-07:00" xmlns="http://schema.intuit.com/finance/v3">\n' +
  '    <Fault type="SERVICE">\n' +
  '        <Error code="3001">\n' +
  "            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n" +
  "            <Detail>The request limit was reached.  Try again later</Detail>\n" +
  "        </Error>\n" +
  "    </Fault>\n" +
  "</IntuitResponse>\n";

/**
 * The monthly quota's 429. Intuit publishes no body for it, so this one is the throttle fault with a
 * detail naming the quota (not a verbatim Intuit sample).
 */
export const QUICKBOOKS_MONTHLY_QUOTA_FAULT = {
  Fault: {
    Error: [
      {
        Message: "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        Detail: "Monthly CorePlus API call quota exceeded for this workspace. Try again next month",
        code: "3001",
      },
    ],
    type: "SERVICE",
  },
};

export const SYSTEM_FAULT: QuickBooksFault = {
  type: "SystemFault",
  Error: [
    {
      Message: "An application error has occurred while processing your request",
      Detail: "System Failure Error: An unexpected error occurred while accessing or saving your data.",
      code: "10000",
      element: "",
    },
  ],
};

export function fault(type: string, message: string, detail: string, code: string): { Fault: QuickBooksFault } {
  return { Fault: { type, Error: [{ Message: message, Detail: detail, code, element: "" }] } };
}

export function throttleJson(at: number) {
  return {
    Fault: {
      Error: [
        { Message: "message=ThrottleExceeded; errorCode=003001; statusCode=429", Detail: "The request limit was reached.  Try again later", code: "3001" },
      ],
      type: "SERVICE",
    },
    time: new Date(at).toISOString(),
  };
}
