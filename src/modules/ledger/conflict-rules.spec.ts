import {
  blockedBy,
  decide,
  effectiveState,
  supersedes,
  type IncomingEvent,
  type StateRow,
} from './conflict-rules';
import { ALL_SCOPES, type ConsentStatus, type EventEffect } from './ledger.types';

const BASE = Date.UTC(2025, 0, 1, 12, 0, 0);
/** A capture time `minutes` after a fixed reference instant. */
const at = (minutes: number) => new Date(BASE + minutes * 60_000);

const row = (scope: string, status: ConsentStatus, minutes: number): StateRow => ({
  scope,
  status,
  capturedAt: at(minutes),
});
const event = (scope: string, status: ConsentStatus, minutes: number): IncomingEvent => ({
  scope,
  status,
  capturedAt: at(minutes),
});
const granted = (scope: string, minutes: number) => row(scope, 'granted', minutes);
const withdrawn = (scope: string, minutes: number) => row(scope, 'withdrawn', minutes);

const NUMBER_A = '106540352242922';
const NUMBER_B = '987654321';

describe(supersedes.name, () => {
  it('lets an event captured later win over the row', () => {
    expect(supersedes(event(NUMBER_A, 'granted', 10), withdrawn(NUMBER_A, 5))).toBe(true);
  });

  it('does not let an event captured earlier win over the row', () => {
    expect(supersedes(event(NUMBER_A, 'withdrawn', 5), granted(NUMBER_A, 10))).toBe(false);
  });

  it('orders by capture time down to the millisecond', () => {
    const row1 = granted(NUMBER_A, 0);
    const oneMsLater: IncomingEvent = { scope: NUMBER_A, status: 'granted', capturedAt: new Date(BASE + 1) };
    expect(supersedes(oneMsLater, row1)).toBe(true);
  });

  it('lets a withdrawal win over a grant captured at the same instant', () => {
    expect(supersedes(event(NUMBER_A, 'withdrawn', 0), granted(NUMBER_A, 0))).toBe(true);
  });

  it('does not let a grant win over a withdrawal captured at the same instant', () => {
    expect(supersedes(event(NUMBER_A, 'granted', 0), withdrawn(NUMBER_A, 0))).toBe(false);
  });

  // WhatsApp stamps to the second: a STOP read as 12:00:00 may have been typed at 12:00:00.999.
  it('lets a withdrawal stamped to the second win over a grant observed later within that second', () => {
    const grantAt: StateRow = { scope: NUMBER_A, status: 'granted', capturedAt: new Date(BASE + 500) };
    expect(supersedes(event(NUMBER_A, 'withdrawn', 0), grantAt)).toBe(true);
  });

  it('does not let a grant stamped within the same second as a withdrawal undo it', () => {
    const grantAt: IncomingEvent = { scope: NUMBER_A, status: 'granted', capturedAt: new Date(BASE + 999) };
    expect(supersedes(grantAt, withdrawn(NUMBER_A, 0))).toBe(false);
  });

  it('lets a grant a full second after a withdrawal win', () => {
    const grantAt: IncomingEvent = { scope: NUMBER_A, status: 'granted', capturedAt: new Date(BASE + 1_000) };
    expect(supersedes(grantAt, withdrawn(NUMBER_A, 0))).toBe(true);
  });

  it('does not let a withdrawal a full second before a grant win', () => {
    const grantAt: StateRow = { scope: NUMBER_A, status: 'granted', capturedAt: new Date(BASE + 1_000) };
    expect(supersedes(event(NUMBER_A, 'withdrawn', 0), grantAt)).toBe(false);
  });

  it.each<ConsentStatus>(['granted', 'withdrawn'])(
    'does not let a %s win over the same status captured at the same instant',
    (status) => {
      expect(supersedes(event(NUMBER_A, status, 0), row(NUMBER_A, status, 0))).toBe(false);
    },
  );
});

describe(effectiveState.name, () => {
  it('is null when the subject has no row at all', () => {
    expect(effectiveState([], NUMBER_A)).toBeNull();
  });

  it('is null for a scope with no row of its own and no all-scopes row', () => {
    expect(effectiveState([granted(NUMBER_B, 0)], NUMBER_A)).toBeNull();
  });

  it("is the scope's own row when there is no all-scopes row", () => {
    const own = granted(NUMBER_A, 0);
    expect(effectiveState([own, withdrawn(NUMBER_B, 5)], NUMBER_A)).toBe(own);
  });

  it('is the all-scopes row for a scope with no row of its own', () => {
    const all = withdrawn(ALL_SCOPES, 0);
    expect(effectiveState([all], NUMBER_A)).toBe(all);
  });

  it("is the scope's own row when it is newer than the all-scopes row", () => {
    const own = granted(NUMBER_A, 10);
    expect(effectiveState([withdrawn(ALL_SCOPES, 5), own], NUMBER_A)).toBe(own);
  });

  it("is the all-scopes row when it is newer than the scope's own row", () => {
    const all = withdrawn(ALL_SCOPES, 10);
    expect(effectiveState([granted(NUMBER_A, 5), all], NUMBER_A)).toBe(all);
  });

  it('is an all-scopes withdrawal over a scope grant captured at the same instant', () => {
    const all = withdrawn(ALL_SCOPES, 0);
    expect(effectiveState([granted(NUMBER_A, 0), all], NUMBER_A)).toBe(all);
  });

  it('is a scope withdrawal over an all-scopes grant captured at the same instant', () => {
    const own = withdrawn(NUMBER_A, 0);
    expect(effectiveState([granted(ALL_SCOPES, 0), own], NUMBER_A)).toBe(own);
  });

  it('is only the all-scopes row itself when asked about all scopes', () => {
    const all = granted(ALL_SCOPES, 0);
    expect(effectiveState([all, withdrawn(NUMBER_A, 10)], ALL_SCOPES)).toBe(all);
  });
});

describe(decide.name, () => {
  describe('the first event for a subject', () => {
    it.each<ConsentStatus>(['granted', 'withdrawn'])('changes the state when it is a %s', (status) => {
      expect(decide(event(NUMBER_A, status, 0), [])).toEqual({ effect: 'changed', writes: [NUMBER_A] });
    });

    it('writes only the all-scopes row for a withdrawal of every scope', () => {
      expect(decide(event(ALL_SCOPES, 'withdrawn', 0), [])).toEqual({
        effect: 'changed',
        writes: [ALL_SCOPES],
      });
    });

    it('is not affected by rows of other scopes', () => {
      expect(decide(event(NUMBER_A, 'granted', 0), [withdrawn(NUMBER_B, 10)])).toEqual({
        effect: 'changed',
        writes: [NUMBER_A],
      });
    });
  });

  describe('one scope: existing row × incoming event × capture order', () => {
    type Order = 'earlier' | 'equal' | 'later';
    const offset: Record<Order, number> = { earlier: -5, equal: 0, later: 5 };
    const cases: [ConsentStatus, ConsentStatus, Order, EventEffect][] = [
      ['granted', 'granted', 'earlier', 'stale'],
      ['granted', 'granted', 'equal', 'stale'],
      ['granted', 'granted', 'later', 'confirmed'],
      ['granted', 'withdrawn', 'earlier', 'stale'],
      ['granted', 'withdrawn', 'equal', 'changed'],
      ['granted', 'withdrawn', 'later', 'changed'],
      ['withdrawn', 'granted', 'earlier', 'stale'],
      ['withdrawn', 'granted', 'equal', 'stale'],
      ['withdrawn', 'granted', 'later', 'changed'],
      ['withdrawn', 'withdrawn', 'earlier', 'stale'],
      ['withdrawn', 'withdrawn', 'equal', 'stale'],
      ['withdrawn', 'withdrawn', 'later', 'confirmed'],
    ];

    it.each(cases)('row %s, event %s captured %s → %s', (rowStatus, eventStatus, order, effect) => {
      const decision = decide(event(NUMBER_A, eventStatus, offset[order]), [row(NUMBER_A, rowStatus, 0)]);
      expect(decision).toEqual({ effect, writes: effect === 'stale' ? [] : [NUMBER_A] });
    });
  });

  describe('the conflict rules as stated', () => {
    it('keeps a later withdrawal over an earlier CRM grant that arrives after it', () => {
      expect(decide(event(NUMBER_A, 'granted', 0), [withdrawn(NUMBER_A, 10)])).toEqual({
        effect: 'stale',
        writes: [],
      });
    });

    it('lets a grant captured after a withdrawal restore consent', () => {
      expect(decide(event(NUMBER_A, 'granted', 20), [withdrawn(NUMBER_A, 10)])).toEqual({
        effect: 'changed',
        writes: [NUMBER_A],
      });
    });

    it('writes nothing for an event older than the current state', () => {
      expect(decide(event(NUMBER_A, 'withdrawn', 0), [granted(NUMBER_A, 10)]).writes).toEqual([]);
    });
  });

  describe('a withdrawal of every scope', () => {
    it('writes the all-scopes row and every scope row it supersedes', () => {
      const rows = [granted(NUMBER_A, 0), granted(NUMBER_B, 5)];
      const decision = decide(event(ALL_SCOPES, 'withdrawn', 10), rows);
      expect(decision.effect).toBe('changed');
      expect(decision.writes.sort()).toEqual([ALL_SCOPES, NUMBER_A, NUMBER_B].sort());
    });

    it('does not write a scope row newer than itself', () => {
      const rows = [granted(NUMBER_A, 0), granted(NUMBER_B, 20)];
      expect(decide(event(ALL_SCOPES, 'withdrawn', 10), rows).writes.sort()).toEqual(
        [ALL_SCOPES, NUMBER_A].sort(),
      );
    });

    it('overrides a scope grant captured at the same instant', () => {
      expect(decide(event(ALL_SCOPES, 'withdrawn', 10), [granted(NUMBER_A, 10)]).writes.sort()).toEqual(
        [ALL_SCOPES, NUMBER_A].sort(),
      );
    });

    it('replaces an older all-scopes row', () => {
      const decision = decide(event(ALL_SCOPES, 'withdrawn', 10), [granted(ALL_SCOPES, 0)]);
      expect(decision).toEqual({ effect: 'changed', writes: [ALL_SCOPES] });
    });

    it('is stale when the all-scopes row and every scope row are newer', () => {
      const rows = [granted(ALL_SCOPES, 20), granted(NUMBER_A, 30)];
      expect(decide(event(ALL_SCOPES, 'withdrawn', 10), rows)).toEqual({ effect: 'stale', writes: [] });
    });

    it('confirms a state in which every scope is already withdrawn', () => {
      const rows = [withdrawn(ALL_SCOPES, 0), withdrawn(NUMBER_A, 5)];
      const decision = decide(event(ALL_SCOPES, 'withdrawn', 10), rows);
      expect(decision.effect).toBe('confirmed');
      expect(decision.writes.sort()).toEqual([ALL_SCOPES, NUMBER_A].sort());
    });

    it('changes the state when only one of the scopes it covers was granted', () => {
      const rows = [withdrawn(ALL_SCOPES, 0), granted(NUMBER_A, 5)];
      expect(decide(event(ALL_SCOPES, 'withdrawn', 10), rows).effect).toBe('changed');
    });
  });

  describe('a grant', () => {
    it('writes only the scope it names, leaving other scopes withdrawn', () => {
      const rows = [withdrawn(NUMBER_A, 0), withdrawn(NUMBER_B, 0)];
      expect(decide(event(NUMBER_A, 'granted', 10), rows)).toEqual({ effect: 'changed', writes: [NUMBER_A] });
    });

    it('for every scope writes only the all-scopes row', () => {
      const rows = [withdrawn(NUMBER_A, 0)];
      expect(decide(event(ALL_SCOPES, 'granted', 10), rows)).toEqual({
        effect: 'changed',
        writes: [ALL_SCOPES],
      });
    });

    it('for one scope after an older all-scopes withdrawal changes that scope', () => {
      expect(decide(event(NUMBER_A, 'granted', 10), [withdrawn(ALL_SCOPES, 0)])).toEqual({
        effect: 'changed',
        writes: [NUMBER_A],
      });
    });
  });

  describe('a scoped event and the all-scopes row', () => {
    it.each<ConsentStatus>(['granted', 'withdrawn'])(
      'is stale when it is a %s older than the all-scopes row',
      (status) => {
        expect(decide(event(NUMBER_A, status, 0), [withdrawn(ALL_SCOPES, 10)])).toEqual({
          effect: 'stale',
          writes: [],
        });
      },
    );

    it('is stale even when its own scope row is older than it', () => {
      const rows = [granted(NUMBER_A, 0), withdrawn(ALL_SCOPES, 20)];
      expect(decide(event(NUMBER_A, 'granted', 10), rows)).toEqual({ effect: 'stale', writes: [] });
    });

    it('is stale for a grant captured at the same instant as an all-scopes withdrawal', () => {
      expect(decide(event(NUMBER_A, 'granted', 10), [withdrawn(ALL_SCOPES, 10)])).toEqual({
        effect: 'stale',
        writes: [],
      });
    });

    it('takes effect for a withdrawal captured at the same instant as an all-scopes grant', () => {
      expect(decide(event(NUMBER_A, 'withdrawn', 10), [granted(ALL_SCOPES, 10)])).toEqual({
        effect: 'changed',
        writes: [NUMBER_A],
      });
    });

    it('confirms a scope withdrawal when the all-scopes row already withdraws it', () => {
      expect(decide(event(NUMBER_A, 'withdrawn', 10), [withdrawn(ALL_SCOPES, 0)])).toEqual({
        effect: 'confirmed',
        writes: [NUMBER_A],
      });
    });

    it("compares against the scope's effective state, not only its own row", () => {
      const rows = [granted(NUMBER_A, 0), withdrawn(ALL_SCOPES, 5)];
      expect(decide(event(NUMBER_A, 'withdrawn', 10), rows).effect).toBe('confirmed');
    });
  });
});

describe(blockedBy.name, () => {
  const none = { erasureRequested: false, objected: false };
  const objected = { erasureRequested: false, objected: true };
  const erasing = { erasureRequested: true, objected: false };

  it('blocks a CRM grant after an objection', () => {
    expect(blockedBy(objected, { status: 'granted', actor: 'crm' })).toBe('objection');
  });

  it('blocks an automation grant after an objection', () => {
    expect(blockedBy(objected, { status: 'granted', actor: 'automation' })).toBe('objection');
  });

  it('blocks an admin grant after an objection', () => {
    expect(blockedBy(objected, { status: 'granted', actor: 'admin' })).toBe('objection');
  });

  it("lets the person's own opt-in count after an objection", () => {
    expect(blockedBy(objected, { status: 'granted', actor: 'subject' })).toBeNull();
  });

  it('never blocks a withdrawal', () => {
    expect(
      blockedBy({ erasureRequested: true, objected: true }, { status: 'withdrawn', actor: 'crm' }),
    ).toBeNull();
  });

  it('blocks a CRM grant once erasure is requested, naming the erasure', () => {
    expect(blockedBy(erasing, { status: 'granted', actor: 'crm' })).toBe('erasure_requested');
  });

  it('blocks nothing for a person without objection or erasure request', () => {
    expect(blockedBy(none, { status: 'granted', actor: 'crm' })).toBeNull();
  });
});
