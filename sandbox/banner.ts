type App = { clientId: string; clientSecret: string };

/**
 * What the sandbox prints: where each simulator listens, the OAuth app and private-app token they accept, and the
 * environment lines to start the gateway with so that it can connect to them (issue 11: try the whole journey).
 */
export function sandboxBanner(
  urls: { hubspot: string; salesforce: string; processor: string },
  hubspotApp: App,
  salesforceApp: App,
  hubspotToken: string,
): string {
  const hosts = Object.values(urls)
    .map((u) => new URL(u).host)
    .join(',');
  return [
    'Consent Gateway sandbox is running',
    '',
    `  HubSpot:           ${urls.hubspot}   (admin ${urls.hubspot}/__admin/state)`,
    `    private-app token: ${hubspotToken}`,
    `    OAuth app:         client id ${hubspotApp.clientId}, client secret ${hubspotApp.clientSecret}`,
    `  Salesforce:        ${urls.salesforce}   (admin ${urls.salesforce}/__admin/state)`,
    `    OAuth app:         client id ${salesforceApp.clientId}, client secret ${salesforceApp.clientSecret}`,
    `  Webhook processor: ${urls.processor}   (admin ${urls.processor}/__admin/state)`,
    '',
    'Start the gateway in another terminal with:',
    '',
    `  OUTBOUND_ALLOWLIST=${hosts} \\`,
    `  HUBSPOT_CLIENT_ID=${hubspotApp.clientId} HUBSPOT_CLIENT_SECRET=${hubspotApp.clientSecret} \\`,
    `  SALESFORCE_CLIENT_ID=${salesforceApp.clientId} SALESFORCE_CLIENT_SECRET=${salesforceApp.clientSecret} \\`,
    '  npm start',
    '',
    `Then in the console (Connections), give ${urls.hubspot} or ${urls.salesforce} as the API host`,
    `(Sandbox host), or ${urls.processor}/webhooks as a webhook processor's endpoint URL.`,
    '',
  ].join('\n');
}
