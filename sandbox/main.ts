import 'reflect-metadata';
import { HubSpotSimulator } from './hubspot';
import { SalesforceSimulator } from './salesforce';
import { WebhookProcessorSimulator } from './webhook-processor';
import { sandboxBanner } from './banner';

/** The default portal's private-app token (HubSpotSimulator creates portal 1000001 with it on start). */
const SANDBOX_PRIVATE_APP_TOKEN = 'pat-na1-sandbox';

/**
 * `npm run sandbox`: local simulators of HubSpot, Salesforce and a Standard Webhooks processor, for the
 * demo and for manual testing. Point a connection at them with base_url (add 127.0.0.1 to
 * OUTBOUND_ALLOWLIST with its port). Each has an admin API under /__admin/ to inspect state and inject faults.
 * It prints the OAuth apps and the private-app token the simulators accept, and the gateway's environment lines.
 */
async function main(): Promise<void> {
  const env = process.env;
  const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
  // The OAuth app the simulators accept: what the gateway must be given as HUBSPOT_/SALESFORCE_CLIENT_ID and _SECRET.
  const hubspotApp = {
    clientId: env.HUBSPOT_CLIENT_ID ?? 'sandbox-client-id',
    clientSecret: env.HUBSPOT_CLIENT_SECRET ?? 'sandbox-client-secret',
  };
  const salesforceApp = {
    clientId: env.SALESFORCE_CLIENT_ID ?? 'sandbox-client-id',
    clientSecret: env.SALESFORCE_CLIENT_SECRET ?? 'sandbox-client-secret',
  };
  const hubspot = new HubSpotSimulator({ ...hubspotApp, latencyMs: Number(env.SANDBOX_LATENCY_MS ?? 0) });
  const salesforce = new SalesforceSimulator({
    ...salesforceApp,
    latencyMs: Number(env.SANDBOX_LATENCY_MS ?? 0),
  });
  const secret = env.SANDBOX_WEBHOOK_SECRET ?? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const confirmations = env.SANDBOX_PROCESSOR_CONFIRMATIONS ?? 'auto';
  if (confirmations !== 'auto' && confirmations !== 'manual' && confirmations !== 'never')
    throw new Error('SANDBOX_PROCESSOR_CONFIRMATIONS must be auto, manual or never');
  const processor = new WebhookProcessorSimulator(secret, { confirmations });
  const urls = {
    hubspot: await hubspot.start(port('SANDBOX_HUBSPOT_PORT', 4010)),
    salesforce: await salesforce.start(port('SANDBOX_SALESFORCE_PORT', 4020)),
    processor: await processor.start(port('SANDBOX_PROCESSOR_PORT', 4030)),
  };
  process.stdout.write(sandboxBanner(urls, hubspotApp, salesforceApp, SANDBOX_PRIVATE_APP_TOKEN));
  const stop = async () => {
    await Promise.allSettled([hubspot.stop(), salesforce.stop(), processor.stop()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
