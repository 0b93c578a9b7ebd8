import type { AppConfig } from '../../config/app-config';
import type { ConsentStatus } from './ledger.types';

export interface ReceiptSource {
  id: string;
  subject_id: string;
  purpose: string;
  channel: string;
  scope: string;
  status: ConsentStatus;
  method: string;
  source: string;
  actor: string;
  captured_at: Date;
  legal_basis: string | null;
  notice_version: string | null;
  policy_url: string | null;
  language: string | null;
}

const METHOD_DESCRIPTIONS: Record<string, string> = {
  wa_keyword: 'WhatsApp message with an opt-out or opt-in keyword',
  wa_button: 'WhatsApp template quick-reply button',
  wa_interactive: 'WhatsApp interactive reply',
  meta_user_preferences: 'WhatsApp marketing preference (Stop promotions / Resume)',
  meta_error_131050: 'WhatsApp reported that the user stopped marketing messages (error 131050)',
  api: 'Automation platform API',
  web_form: 'Web form',
  import: 'Import',
  admin: 'Administrator',
  crm_sync: 'CRM synchronisation',
};

/**
 * A consent receipt for one ledger event, carrying the Kantara Consent Receipt v1.1 fields and the
 * ISO/IEC TS 27560 record fields (as mapped by the W3C DPVCG guide). The principal is identified by the
 * gateway's pseudonymous subject id, never by a phone number or email.
 */
export function buildConsentReceipt(event: ReceiptSource, config: AppConfig) {
  const policyUrl = event.policy_url ?? config.policyUrl;
  const collectionMethod = METHOD_DESCRIPTIONS[event.method] ?? event.method;
  const withdrawalMethod =
    event.channel === 'whatsapp'
      ? 'Reply STOP on WhatsApp, tap "Stop promotions", or ask the controller'
      : 'Ask the controller';
  const controller = {
    piiController: config.controller.name,
    contact: config.controller.contact,
    address: config.controller.address,
    email: config.controller.email,
    ...(config.controller.url ? { piiControllerUrl: config.controller.url } : {}),
  };
  return {
    kantara: {
      version: 'KI-CR-v1.1.0',
      jurisdiction: config.jurisdiction,
      consentTimestamp: Math.floor(event.captured_at.getTime() / 1000),
      collectionMethod,
      consentReceiptID: event.id,
      language: event.language ?? 'en',
      piiPrincipalId: event.subject_id,
      piiControllers: [controller],
      policyUrl,
      services: [
        {
          service: `${event.channel} messaging`,
          purposes: [
            {
              purpose: event.purpose,
              purposeCategory: event.purpose === 'marketing' ? ['6 - Marketing'] : [event.purpose],
              consentType: 'EXPLICIT',
              piiCategory: ['2 - Contact'],
              primaryPurpose: true,
              termination: withdrawalMethod,
              thirdPartyDisclosure: false,
            },
          ],
        },
      ],
      sensitive: false,
      spiCat: [],
      // Not in Kantara v1.1: the state this receipt records, since the ledger also receipts withdrawals.
      consentState: event.status,
    },
    iso27560: {
      schema_version: 'https://w3id.org/dpv/schema/iso-27560#record-GDPR',
      record_id: event.id,
      receipt_id: event.id,
      pii_principal_id: event.subject_id,
      notice: { reference: policyUrl, version: event.notice_version, language: event.language ?? 'en' },
      purpose: event.purpose,
      lawful_basis: event.legal_basis ?? 'consent',
      pii_concerned: ['contact number'],
      controllers: [controller],
      collection_method: collectionMethod,
      processing_method: 'automated',
      storage_locations: ['consent gateway database'],
      retention_period: 'for the life of the consent relationship plus the limitation period',
      jurisdiction: config.jurisdiction,
      recipient_third_parties: [],
      withdrawal_method: withdrawalMethod,
      privacy_rights: ['access', 'rectification', 'erasure', 'restriction', 'objection', 'withdraw consent'],
      scope: event.scope,
      event: {
        time: event.captured_at.toISOString(),
        type: 'explicit',
        state: event.status === 'granted' ? 'given' : 'withdrawn',
        entity_id: event.actor,
        source: event.source,
        validity_duration: null,
      },
    },
  };
}
