// The ledger module's public API: what other modules may use. Everything else is internal.
export { serveConsentCheckDirectly } from './consent-check.route';
export { IdentityService } from './identity.service';
export type { PreparedIdentity } from './identity.service';
export { LedgerModule } from './ledger.module';
export { LedgerReader } from './ledger.reader';
export type { ConsentStateInForce } from './ledger.reader';
export { LedgerService } from './ledger.service';
export type { EvidenceValue } from './ledger.service';
export type { ConsentMethod, ConsentStatus, IdentityInput, IdentityKind } from './ledger.types';
export { normalisePhone, toCountry } from './phone-number';
export { SubjectRequestIntake } from './subject-request-intake.port';
export type {
  IncomingSubjectRequest,
  SubjectRequestOrigin,
  SubjectRequestType,
} from './subject-request-intake.port';
