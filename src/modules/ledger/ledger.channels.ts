/** Channel on which consent-state changes are announced (cache invalidation, propagation wake-up). */
export const CONSENT_CHANGED_CHANNEL = 'cg_consent_changed';
/** Channel on which new identities are announced (a reader may have cached "nobody is known by this"). */
export const IDENTITY_ADDED_CHANNEL = 'cg_identity_added';
/** Channel on which forgotten people are announced (every process drops their data key from memory). */
export const SUBJECT_FORGOTTEN_CHANNEL = 'cg_subject_forgotten';
/**
 * Channel on which every write to the suppression list is announced, by a trigger on the table (payload:
 * the identifier's cache key, IdentityService.cacheKey, under the blind-index key that made the entry).
 */
export const SUPPRESSION_CHANGED_CHANNEL = 'cg_suppression_changed';
