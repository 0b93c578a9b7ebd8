// The ledger module's public API: what other modules may use. Everything else is internal.
export { serveConsentCheckDirectly } from './consent-check.route';
export { IdentityService } from './identity.service';
export type { PreparedIdentity } from './identity.service';
export { LedgerModule } from './ledger.module';
export { LedgerReader } from './ledger.reader';
export type { ConsentStateInForce } from './ledger.reader';
/** @public */
export type { PersonExport, SubjectFound } from './ledger.reader';
export { LedgerService } from './ledger.service';
export { ConsentBatchRecorder } from './consent-batch.recorder';
export { LedgerRewrites } from './ledger-rewrites.service';
export type { EventRewrite, RewriteReport } from './ledger-rewrites.service';
export type { EvidenceValue, RecordConsentInput, RecordConsentResult, StateChange } from './ledger.service';
export type { ConsentMethod, ConsentStatus, IdentityInput, IdentityKind } from './ledger.types';
export { normalisePhone, toCountry } from './phone-number';
// Data-subject rights (issue 9). Tagged @public for knip until the requests module (a higher module, built in
// parallel) consumes them; the tags go once it is merged.
/** @public */
export { SubjectRequestIntake } from './subject-request-intake.port';
/** @public */
export { SubjectErasureService } from './subject-erasure.service';
/** @public */
export type { ForgetReport, SubjectForgottenHook } from './subject-erasure.service';
/** @public */
export { SubjectRestrictionService } from './subject-restriction.service';
/** @public */
export { SubjectRectificationService } from './subject-rectification.service';
/** @public */
export type {
  IncomingSubjectRequest,
  SubjectRequestOrigin,
  SubjectRequestType,
} from './subject-request-intake.port';
