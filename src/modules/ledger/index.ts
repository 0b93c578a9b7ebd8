// The ledger module's public API: what other modules may use. Everything else is internal.
export { serveConsentCheckDirectly } from './consent-check.route';
export { IdentityService } from './identity.service';
export type { PreparedIdentity } from './identity.service';
export { LedgerModule } from './ledger.module';
export { LedgerReader } from './ledger.reader';
export type { ConsentStateInForce, PersonExport, SubjectFound } from './ledger.reader';
export { LedgerService } from './ledger.service';
export type { EvidenceValue } from './ledger.service';
export type { ConsentMethod, ConsentStatus, IdentityInput, IdentityKind } from './ledger.types';
export { normalisePhone, toCountry } from './phone-number';
export { SubjectRequestIntake } from './subject-request-intake.port';
export { SubjectErasureService } from './subject-erasure.service';
export type { ForgetReport, SubjectForgottenHook } from './subject-erasure.service';
export { SubjectRestrictionService } from './subject-restriction.service';
export { SubjectRectificationService } from './subject-rectification.service';
export type {
  IncomingSubjectRequest,
  SubjectRequestOrigin,
  SubjectRequestType,
} from './subject-request-intake.port';
