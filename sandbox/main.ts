import 'reflect-metadata';
import { HubSpotSimulator } from './hubspot';
import { SalesforceSimulator } from './salesforce';
import { WebhookProcessorSimulator } from './webhook-processor';

/**
 * `npm run sandbox`: local simulators of HubSpot, Salesforce and a Standard Webhooks processor, for the
 * demo and for manual testing. Point a connection at them with base_url (add 127.0.0.1 to
 * OUTBOUND_ALLOWLIST with its port). Each has an admin API under /__admin/ to inspect state and inject faults.
 */
async function main(): Promise<void> {
  const env = process.env;
  const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
  const hubspot = new HubSpotSimulator({
    clientId: env.HUBSPOT_CLIENT_ID ?? 'sandbox-client-id',
    clientSecret: env.HUBSPOT_CLIENT_SECRET ?? 'sandbox-client-secret',
    latencyMs: Number(env.SANDBOX_LATENCY_MS ?? 0),
  });
  const salesforce = new SalesforceSimulator({
    clientId: env.SALESFORCE_CLIENT_ID ?? 'sandbox-client-id',
    clientSecret: env.SALESFORCE_CLIENT_SECRET ?? 'sandbox-client-secret',
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
  process.stdout.write(
    [
      'Consent Gateway sandbox is running',
      `  HubSpot:    ${urls.hubspot}   (private-app token pat-na1-sandbox; admin ${urls.hubspot}/__admin/state)`,
      `  Salesforce: ${urls.salesforce}   (OAuth client sandbox-client-id; admin ${urls.salesforce}/__admin/state)`,
      `  Webhook processor: ${urls.processor}   (admin ${urls.processor}/__admin/state)`,
      `  Start the gateway with OUTBOUND_ALLOWLIST=${Object.values(urls)
        .map((u) => new URL(u).host)
        .join(',')} to connect to them.`,
      '',
    ].join('\n'),
  );
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
