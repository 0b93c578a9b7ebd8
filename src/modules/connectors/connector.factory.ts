import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { OutboundGuard } from '../../platform/http/outbound-guard';
import { ConnectionService } from './connection.service';
import { type ConnectionContext, type Connector, type ConnectorDeps, PermanentError } from './connector.port';
import { HubspotConnector, HubspotOAuth } from './hubspot';
import type { OAuthProvider } from './oauth.port';
import { SalesforceConnector, SalesforceOAuth } from './salesforce';
import { salesforceHostRefusal } from './salesforce/salesforce-transport';
import { WebhookConnector } from './webhook/webhook.connector';

/** Builds the connector of a connection: one implementation per provider, chosen by an exhaustive switch. */
@Injectable()
export class ConnectorFactory {
  constructor(
    private readonly connections: ConnectionService,
    private readonly guard: OutboundGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private oauthClient(type: ConnectionContext['type']): ConnectorDeps['oauthClient'] {
    switch (type) {
      case 'hubspot':
        return this.config.hubspot.clientId && this.config.hubspot.clientSecret
          ? { clientId: this.config.hubspot.clientId, clientSecret: this.config.hubspot.clientSecret }
          : null;
      case 'salesforce':
        return this.config.salesforce.clientId && this.config.salesforce.clientSecret
          ? { clientId: this.config.salesforce.clientId, clientSecret: this.config.salesforce.clientSecret }
          : null;
      case 'webhook':
        return null;
    }
  }

  /**
   * jsforce talks to whatever instance_url a token response names; only Salesforce's own hosts and
   * allow-listed ones (sandboxes) are accepted, so a token cannot point the gateway at an internal host.
   */
  private checkSalesforceHosts(context: ConnectionContext): void {
    for (const raw of [context.credentials.instanceUrl, context.loginUrl, context.baseUrl]) {
      const refusal = raw ? salesforceHostRefusal(raw, this.guard) : null;
      if (refusal) throw Object.assign(new PermanentError(refusal), { code: 'EPRIVATE' });
    }
  }

  /** The OAuth flow of a provider, when the gateway's app credentials for it are configured. */
  oauthProvider(type: 'hubspot' | 'salesforce'): OAuthProvider | null {
    const client = this.oauthClient(type);
    if (!client) return null;
    switch (type) {
      case 'hubspot':
        return new HubspotOAuth(client, this.guard);
      case 'salesforce':
        return new SalesforceOAuth(client, this.guard);
    }
  }

  create(context: ConnectionContext, pace: () => Promise<void> = async () => undefined): Connector {
    const deps: ConnectorDeps = {
      onCredentials: (credentials) => {
        context.credentials = credentials;
        return this.connections.saveCredentials(context.id, credentials);
      },
      beforeRefresh: () => this.connections.guardRefresh(context.id),
      pace,
      oauthClient: this.oauthClient(context.type),
      publicBaseUrl: this.config.publicBaseUrl,
      outbound: this.guard,
    };
    switch (context.type) {
      case 'hubspot':
        return new HubspotConnector(context, deps, { timeoutMs: this.config.connectorTimeoutMs });
      case 'salesforce':
        this.checkSalesforceHosts(context);
        return new SalesforceConnector(context, deps, { requestTimeoutMs: this.config.connectorTimeoutMs });
      case 'webhook':
        return new WebhookConnector(context, deps, this.guard, this.config.connectorTimeoutMs);
    }
  }
}
