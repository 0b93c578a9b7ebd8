// The registry's words: enum values as people read them (roles, transfer safeguards, legal bases,
// activity statuses), country names, and the small form helpers the registry pages share.
import { ApiError, h, select } from '../lib.js';

/** Vendor roles: a short name for tables, and the long one (what it means) for forms. */
export const ROLE_NAMES = {
  processor: 'Processor',
  sub_processor: 'Sub-processor',
  controller: 'Controller',
  joint_controller: 'Joint controller',
};
export const ROLE_LABELS = {
  processor: 'Processor (acts on our instructions)',
  sub_processor: 'Sub-processor (engaged by one of our processors)',
  controller: 'Controller (decides its own purposes)',
  joint_controller: 'Joint controller (decides the purposes with us)',
};

export const RISK_LABELS = { low: 'Low', medium: 'Medium', high: 'High' };

/** Chapter V safeguards. */
export const MECHANISM_LABELS = {
  adequacy: 'Adequacy decision (Art. 45)',
  sccs: 'Standard contractual clauses (Art. 46)',
  bcrs: 'Binding corporate rules (Art. 47)',
  derogation: 'Derogation for a specific situation (Art. 49)',
};
export const SCC_MODULES = {
  1: 'Module 1: controller to controller',
  2: 'Module 2: controller to processor',
  3: 'Module 3: processor to processor',
  4: 'Module 4: processor to controller',
};

/** Art. 6(1). */
export const LEGAL_BASIS_LABELS = {
  consent: 'Consent (Art. 6(1)(a))',
  contract: 'Performance of a contract (Art. 6(1)(b))',
  legal_obligation: 'Legal obligation (Art. 6(1)(c))',
  vital_interests: 'Vital interests (Art. 6(1)(d))',
  public_task: 'Public task (Art. 6(1)(e))',
  legitimate_interests: 'Legitimate interests (Art. 6(1)(f))',
};

export const ACTIVITY_STATUS_LABELS = {
  draft: 'Draft',
  in_review: 'In review',
  approved: 'Approved',
  deprecated: 'No longer used',
};

/** The facts without which a vendor is incomplete, as a sentence part. */
export const FACT_NAMES = { role: 'role', country: 'country' };

// ISO 3166-1 alpha-2, the codes the API accepts.
const COUNTRY_CODES =
  `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
  BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
  ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM
  IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF
  MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK
  PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD
  TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`
    .split(/\s+/)
    .filter(Boolean);

let regionNames = null;
/** "Germany (DE)"; the code alone where the browser knows no name. */
export function countryName(code) {
  if (!code) return '—';
  try {
    regionNames ??= new Intl.DisplayNames([navigator.language || 'en'], { type: 'region' });
    const name = regionNames.of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

let countryOptions = null;
/** A country select, sorted by name; `empty` is the label of the no-country choice. */
export function countrySelect(name, value, empty = 'Not recorded', attrs = {}) {
  countryOptions ??= COUNTRY_CODES.map((c) => [c, countryName(c)]).sort((a, b) => a[1].localeCompare(b[1]));
  return select(name, [['', empty], ...countryOptions], value ?? '', attrs);
}

/** Options of a select from a label map. */
export const optionsOf = (labels) => Object.entries(labels);

/** A list field's text (one item per line, or separated by commas) as an array; empty is []. */
export function listOf(text) {
  return String(text ?? '')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Problems found in the browser, shown like the API's: next to each field, in plain words. */
export function fieldProblems(errors) {
  return new ApiError(400, { status: 400, detail: 'Check the fields marked below.', errors });
}

/** A transfer in words: "United States (US): Standard contractual clauses (Art. 46), module 3". */
export function transferText(t) {
  const module = t.mechanism === 'sccs' && t.sccs_module ? `, module ${t.sccs_module}` : '';
  return `${countryName(t.country)}: ${MECHANISM_LABELS[t.mechanism] ?? t.mechanism}${module}${t.notes ? ` (${t.notes})` : ''}`;
}

/** "role and country" from ['role', 'country']. */
export function missingText(missing) {
  const names = missing.map((m) => FACT_NAMES[m] ?? m);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
}

/** The vendor's "Incomplete" badge, or null. */
export function incompleteBadge(vendor) {
  return vendor.missing_facts?.length
    ? h('span', { class: 'badge badge-warn' }, `Incomplete: no ${missingText(vendor.missing_facts)}`)
    : null;
}
