/**
 * What each recorded action is called in plain words. Entries are stored as the route that ran them
 * (`POST /v1/vendors/:id/dpas`) or a name the code gave (`session.login`): stable keys that old entries
 * keep. This registry names them when they are read, so renaming an action never touches the chained log.
 * A new audited route gets a line here; one without is still named, from its path, less nicely.
 */
interface ActionName {
  /** The verb phrase: "Added a DPA version". */
  words: string;
  /** What the target is, in words, when the entry has one: "to vendor" → "Added a DPA version to vendor Acme". */
  target?: string;
  /** Groups the filter offers ("what"). */
  area: ActionArea;
}

export const ACTION_AREAS = {
  sign_in: 'Sign-ins',
  people: 'Looking at people',
  requests: 'Data-subject requests',
  vendors: 'Vendors and DPAs',
  activities: 'Processing activities',
  connections: 'Connections',
  deliveries: 'Deliveries',
  access: 'Users and API keys',
  settings: 'Settings',
  system: 'Gateway operation',
} as const;
export type ActionArea = keyof typeof ACTION_AREAS;

const ACTIONS: Record<string, ActionName> = {
  'session.login': { words: 'Signed in', area: 'sign_in' },
  'person.consents': { words: 'Viewed the consents of', target: 'person', area: 'people' },
  'person.timeline': { words: 'Viewed the history of', target: 'person', area: 'people' },
  'person.view': { words: 'Viewed', target: 'person', area: 'people' },
  'person.access_export': { words: 'Downloaded the access export of', target: 'person', area: 'people' },
  'request.view': { words: 'Viewed', target: 'request', area: 'requests' },
  'retention.upcoming': { words: 'Viewed the people due for deletion', area: 'people' },
  'POST /v1/consent-events': { words: 'Recorded a consent event', area: 'people' },
  'POST /v1/requests': { words: 'Logged a data-subject request', area: 'requests' },
  'POST /v1/requests/:id/verify': { words: 'Verified the identity for', target: 'request', area: 'requests' },
  'POST /v1/requests/:id/extend': { words: 'Extended the deadline of', target: 'request', area: 'requests' },
  'POST /v1/requests/:id/pause': { words: 'Paused', target: 'request', area: 'requests' },
  'POST /v1/requests/:id/resume': { words: 'Resumed', target: 'request', area: 'requests' },
  'POST /v1/requests/:id/deny': { words: 'Denied', target: 'request', area: 'requests' },
  'POST /v1/requests/:id/cancel': { words: 'Cancelled', target: 'request', area: 'requests' },
  'POST /v1/requests/:id/tasks/:taskId/complete': {
    words: 'Completed a manual task of',
    target: 'request',
    area: 'requests',
  },
  'POST /v1/processors/:connectionId/confirmations': {
    words: 'Recorded a processor confirmation for',
    target: 'connection',
    area: 'requests',
  },
  'POST /v1/vendors': { words: 'Added vendor', target: '', area: 'vendors' },
  'PATCH /v1/vendors/:id': { words: 'Changed vendor', target: '', area: 'vendors' },
  'POST /v1/vendors/:id/dpas': { words: 'Added a DPA version to', target: 'vendor', area: 'vendors' },
  'POST /v1/vendors/:id/sub-processors': {
    words: 'Added a sub-processor to',
    target: 'vendor',
    area: 'vendors',
  },
  'PATCH /v1/vendors/:id/sub-processors/:subId': {
    words: 'Changed a sub-processor of',
    target: 'vendor',
    area: 'vendors',
  },
  'DELETE /v1/vendors/:id/sub-processors/:subId': {
    words: 'Removed a sub-processor from',
    target: 'vendor',
    area: 'vendors',
  },
  'PATCH /v1/dpas/:id': { words: 'Changed', target: 'DPA', area: 'vendors' },
  'PUT /v1/dpas/:id/document': { words: 'Attached a document to', target: 'DPA', area: 'vendors' },
  'POST /v1/processing-activities': { words: 'Added processing activity', target: '', area: 'activities' },
  'PATCH /v1/processing-activities/:id': {
    words: 'Changed processing activity',
    target: '',
    area: 'activities',
  },
  'POST /v1/connections': { words: 'Connected', target: '', area: 'connections' },
  'connection.oauth': { words: 'Connected by OAuth', target: '', area: 'connections' },
  'PATCH /v1/connections/:id': { words: 'Changed connection', target: '', area: 'connections' },
  'DELETE /v1/connections/:id': { words: 'Disconnected', target: '', area: 'connections' },
  'POST /v1/connections/:id/backfill': {
    words: 'Started an import for',
    target: 'connection',
    area: 'connections',
  },
  'POST /v1/connections/:id/test': { words: 'Tested connection', target: '', area: 'connections' },
  'POST /v1/event-subscriptions': { words: 'Subscribed to request events', area: 'connections' },
  'DELETE /v1/event-subscriptions/:id': { words: 'Ended an event subscription', area: 'connections' },
  'POST /v1/deliveries/:id/retry': { words: 'Retried', target: 'delivery', area: 'deliveries' },
  'POST /v1/relay/deliveries/:id/replay': {
    words: 'Replayed a relayed WhatsApp delivery',
    target: '',
    area: 'deliveries',
  },
  'POST /v1/relay/destinations/:key/replay-dead': {
    words: 'Replayed the dead relay deliveries of a destination',
    target: '',
    area: 'deliveries',
  },
  'POST /v1/users': { words: 'Invited user', target: '', area: 'access' },
  'PATCH /v1/users/:id': { words: 'Changed user', target: '', area: 'access' },
  'POST /v1/users/:id/unlock': { words: 'Unlocked user', target: '', area: 'access' },
  'POST /v1/api-keys': { words: 'Created API key', target: '', area: 'access' },
  'DELETE /v1/api-keys/:id': { words: 'Revoked API key', target: '', area: 'access' },
  'PUT /v1/settings/controller': { words: 'Changed the controller details', area: 'settings' },
  'POST /v1/audit/verify': { words: 'Checked an audit anchor', area: 'system' },
  'POST /v1/inbox/replay': { words: 'Replayed the inbox', area: 'system' },
};

const METHOD_WORDS: Record<string, string> = {
  POST: 'Created or ran',
  PUT: 'Replaced',
  PATCH: 'Changed',
  DELETE: 'Removed',
};

/** "vendors/:id/dpas" → "vendors dpas": what a route is about, for routes without a name. */
function pathWords(path: string): string {
  return path
    .replace(/^\/(v1|console\/api)\//, '')
    .split('/')
    .filter((part) => part && !part.startsWith(':'))
    .join(' ')
    .replace(/-/g, ' ');
}

/** The area an action is in (for the "what" filter). */
export function actionArea(action: string): ActionArea {
  const known = ACTIONS[action];
  if (known) return known.area;
  if (action.startsWith('person.')) return 'people';
  return 'system';
}

/** The actions of an area, as stored (the "what" filter turns an area into these). */
export function actionsOfArea(area: ActionArea): string[] {
  return Object.entries(ACTIONS)
    .filter(([, name]) => name.area === area)
    .map(([action]) => action);
}

/**
 * An action in words, with its target when the entry names one: ("POST /v1/vendors/:id/dpas", "Acme") →
 * "Added a DPA version to vendor Acme".
 */
export function actionWords(action: string, targetName?: string | null, outcome = 'success'): string {
  if (action === 'session.login' && outcome !== 'success') return 'Tried to sign in';
  const known = ACTIONS[action];
  if (!known) {
    const [method, path] = action.split(' ');
    if (path && METHOD_WORDS[method]) return `${METHOD_WORDS[method]} ${pathWords(path)}`.trim();
    return action.replace(/[._]/g, ' ');
  }
  if (known.target === undefined || !targetName) return known.words;
  return [known.words, known.target, targetName].filter(Boolean).join(' ');
}

/** Whether an action has a name here (the e2e test checks every unsafe route has one). */
export function isNamedAction(action: string): boolean {
  return action in ACTIONS;
}

const STATUS_WORDS: Record<number, string> = {
  400: 'the input was not valid',
  401: 'not signed in or the key is not valid',
  403: 'not allowed',
  404: 'not found',
  409: 'in conflict with what exists',
  413: 'too large',
  415: 'of a type that is not accepted',
  422: 'could not be processed',
  423: 'locked',
  429: 'too many requests',
  500: 'an error in the gateway',
  502: 'the vendor answered with an error',
  503: 'the gateway or a vendor was unavailable',
};

export type OutcomeWord = 'succeeded' | 'refused' | 'failed';

/**
 * What became of an action: succeeded, refused (not signed in, not allowed, a wrong password), or failed
 * (anything else the gateway turned down or could not do), with the HTTP status in words.
 */
/** Why a sign-in was refused, for the DPO (the person signing in is told none of this). */
const SIGN_IN_REFUSALS: Record<string, string> = {
  wrong_password: 'wrong password',
  unknown_user: 'no user with this email',
  locked: 'the account is locked',
};

export function outcomeOf(
  outcome: string,
  status: number | null | undefined,
  reason?: unknown,
): { result: OutcomeWord; words: string } {
  if (outcome === 'success') return { result: 'succeeded', words: 'Succeeded' };
  if (typeof reason === 'string' && SIGN_IN_REFUSALS[reason])
    return {
      result: 'refused',
      words: `Refused: ${SIGN_IN_REFUSALS[reason]}${status ? ` (${status})` : ''}`,
    };
  const refused = status === 401 || status === 403 || status === undefined || status === null;
  const result: OutcomeWord = refused ? 'refused' : 'failed';
  const why = status ? (STATUS_WORDS[status] ?? (status >= 500 ? 'an error' : 'turned down')) : null;
  const head = refused ? 'Refused' : 'Failed';
  return { result, words: why ? `${head}: ${why} (${status})` : head };
}
