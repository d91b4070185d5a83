// README › Your own receiver: verify and parse in a route you write yourself (no inbox, no store), Stripe's constructEvent style.
import express from "express";
import { WebhookPayloadError, WebhookVerificationError } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { xero } from "webhook-inbox/xero";

export const app = express();

// express.raw keeps the exact bytes the signature is over (never express.json() on these routes).
app.post("/hooks/quickbooks", express.raw({ type: "*/*" }), (req, res) => {
  try {
    const { events } = quickbooks.verifyAndParse({ body: req.body as Buffer, headers: req.headers, verifierToken: process.env.QBO_VERIFIER_TOKEN ?? "" });
    for (const event of events) console.log(event.operation, event.entityType, event.entityId, "realm", event.tenantId); // entityType "Invoice", "Customer", ...
    res.sendStatus(200);
  } catch (error) {
    if (error instanceof WebhookVerificationError) return void res.sendStatus(401); // header missing, or the wrong verifierToken
    if (error instanceof WebhookPayloadError) return void res.sendStatus(200); // signed but unreadable: keep it for a look, a 4xx makes Intuit resend
    throw error;
  }
});

app.post("/hooks/xero", express.raw({ type: "*/*" }), (req, res) => {
  try {
    // The intent-to-receive probe comes back as { handshake: true, events: [] }.
    const { events } = xero.verifyAndParse({ body: req.body as Buffer, headers: req.headers, webhookKey: process.env.XERO_WEBHOOK_KEY ?? "" });
    for (const event of events) console.log(event.operation, event.entityType, event.entityId, "tenant", event.tenantId); // entityType "CONTACT", "INVOICE", ...
    res.status(200).end(); // Xero: 200 with an empty body
  } catch (error) {
    if (error instanceof WebhookVerificationError) return void res.status(401).end();
    throw error;
  }
});
