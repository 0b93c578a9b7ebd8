import type { AppConfig } from '../../src/config/app-config';
import { ledgerEventId } from '../../src/modules/whatsapp/wamid-pseudonym';
import { CryptoService } from '../../src/platform/crypto/crypto.service';

/** A text message typed on WhatsApp (STOP by default), as Meta delivers it, serialised. */
export function textWebhook(options: {
  wamid: string;
  from?: string;
  body?: string;
  timestamp?: number;
  phoneNumberId?: string;
  withContact?: boolean;
}): string {
  const from = options.from ?? '16315551181';
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: '15550783881',
                phone_number_id: options.phoneNumberId ?? '106540352242922',
              },
              ...(options.withContact === false
                ? {}
                : { contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: from }] }),
              messages: [
                {
                  from,
                  id: options.wamid,
                  timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
                  type: 'text',
                  text: { body: options.body ?? 'STOP' },
                },
              ],
            },
          },
        ],
      },
    ],
  });
}

/**
 * The key (consent_event.source_event_id) the gateway records a WhatsApp message under: the wamid's pseudonym,
 * never the wamid (it encodes the sender's number). Tests compute it with the gateway's own blind-index key.
 */
export function messageEventId(config: AppConfig, wamid: string): string {
  return ledgerEventId(new CryptoService(config), `msg:${wamid}`);
}
