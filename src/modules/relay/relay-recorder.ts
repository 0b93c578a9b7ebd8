import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../platform/clock/clock';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { Notifications } from '../../platform/database/notifications';
import { InboxService, type InboxProcessedListener, type ProcessedInboxDelivery } from '../inbox';
import { RELAY_CHANNEL } from './relay.constants';
import { relayConsent } from './relay-consent';
import { relayDestinations } from './relay-destinations';
import { RelayRepository, type NewRelayMessage } from './relay.repository';
import { relayBodyPlace } from './relay-sealed-places';
import { counterpartWaId } from './relay-sender-key';

/**
 * Records every processed WhatsApp delivery for relaying, inside the transaction that marks it processed: what
 * Meta was acknowledged for and what the gateway concluded of it commit together, so nothing is lost and a
 * delivery processed again (an inbox replay, a worker retry) is not owed twice. Only provider 'whatsapp'.
 */
@Injectable()
export class RelayRecorder implements OnModuleInit {
  private readonly destinations: string[];

  constructor(
    private readonly inbox: InboxService,
    private readonly relay: RelayRepository,
    private readonly crypto: CryptoService,
    private readonly notifications: Notifications,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.destinations = relayDestinations(config.whatsappForwardUrls).map((d) => d.key);
  }

  onModuleInit(): void {
    if (this.destinations.length === 0) return;
    const listener: InboxProcessedListener = (manager, processed) => this.record(manager, processed);
    this.inbox.onProcessed(listener);
  }

  async record(manager: EntityManager, processed: readonly ProcessedInboxDelivery[]): Promise<void> {
    const messages: NewRelayMessage[] = processed
      .filter((d) => d.provider === 'whatsapp')
      .map((d) => {
        const sealed = this.crypto.seal(d.rawBody, relayBodyPlace(d.id));
        const waId = counterpartWaId(d.rawBody);
        return {
          inboxId: d.id,
          deliveryId: d.deliveryId,
          body: sealed.ciphertext,
          keyId: sealed.keyId,
          signature: d.signature,
          senderKey: waId ? this.crypto.blindIndex('relay_sender', waId).toString('hex').slice(0, 32) : null,
          consent: relayConsent(d.summary),
          receivedAt: d.receivedAt,
        };
      });
    if (messages.length === 0) return;
    await this.relay.record(manager, messages, this.destinations, new Date(this.clock.now()));
    await this.notifications.notify(manager, RELAY_CHANNEL, '');
  }
}
