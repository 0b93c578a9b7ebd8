/** Kinds of identifier a person can be known by. Values are encrypted at rest and looked up by blind index. */
export const IDENTITY_KINDS = [
  'phone',
  'wa_id',
  'wa_user_id',
  'wa_parent_user_id',
  'email',
  'hubspot_id',
  'salesforce_id',
] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

export interface IdentityInput {
  kind: IdentityKind;
  /** As received; the ledger normalises it (E.164 for phones, lower case for emails). */
  value: string;
  /** For a phone typed in national form: the region it was typed in (ISO 3166 alpha-2). */
  region?: string | null;
}

export type ConsentStatus = 'granted' | 'withdrawn';
/** 'request': a data-subject request (an objection under Art. 21(3)). */
export type ConsentSource = 'whatsapp' | 'api' | 'hubspot' | 'salesforce' | 'admin' | 'request';

/** How the person expressed the change; kept as evidence on every event. */
export type ConsentMethod =
  | 'wa_keyword'
  | 'wa_button'
  | 'wa_interactive'
  | 'meta_user_preferences'
  | 'meta_error_131050'
  | 'api'
  | 'web_form'
  | 'import'
  | 'admin'
  | 'crm_sync'
  | 'objection';

/** Scope meaning "every business number" (a withdrawal without a number). */
export const ALL_SCOPES = '*';

/** What an event did to the state projection. */
export type EventEffect = 'changed' | 'confirmed' | 'stale';

/** Who made a consent change. */
export type ConsentActor = 'subject' | 'automation' | 'admin' | 'crm';

/** The flags of a person's rights that the ledger's write path honours. */
export interface SubjectRightsFlags {
  erased: boolean;
  erasureRequested: boolean;
  objected: boolean;
}
