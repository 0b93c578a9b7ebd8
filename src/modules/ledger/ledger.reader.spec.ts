import { type ConsentStateInForce, inForce } from './ledger.reader';
import { ALL_SCOPES } from './ledger.types';

const state = (scope: string, status: 'granted' | 'withdrawn', capturedAt: string): ConsentStateInForce => ({
  purpose: 'marketing',
  channel: 'whatsapp',
  scope,
  status,
  capturedAt,
  source: 'api',
  eventId: `${scope}-${status}`,
  method: null,
  legalBasis: null,
});

describe('inForce', () => {
  it('keeps a scope whose own state is the latest word', () => {
    const own = state('+15550001', 'granted', '2026-01-02T00:00:00.000Z');
    expect(inForce([own])).toEqual([own]);
  });

  it('sends the state of every scope when a later all-scopes grant covers a withdrawn one', () => {
    const withdrawn = state('+15550001', 'withdrawn', '2026-01-01T00:00:00.000Z');
    const all = state(ALL_SCOPES, 'granted', '2026-01-02T00:00:00.000Z');
    const pushed = inForce([all, withdrawn]);
    expect(pushed.find((s) => s.scope === '+15550001')).toMatchObject({
      status: 'granted',
      eventId: all.eventId,
    });
  });

  it("keeps a scope's own later state over an older all-scopes one", () => {
    const all = state(ALL_SCOPES, 'granted', '2026-01-01T00:00:00.000Z');
    const own = state('+15550001', 'withdrawn', '2026-01-02T00:00:00.000Z');
    expect(inForce([all, own]).find((s) => s.scope === '+15550001')).toEqual(own);
  });
});
