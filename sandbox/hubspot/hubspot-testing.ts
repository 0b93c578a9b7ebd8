import type { CrmContext } from './hubspot-contacts';
import type { SimResponse } from './hubspot-http';
import { newPortal, type PortalState } from './hubspot-state';
import type { WebhookEventInput } from './hubspot-webhooks';

/**
 * For the simulator's unit specs: one portal and a hand-driven clock, and request contexts for calling the
 * CRM handlers directly (no HTTP server, no network).
 */
export interface TestCrm {
  portal: PortalState;
  /** Current simulated time, ms epoch. */
  now: () => number;
  advance: (ms: number) => void;
  /** A request context with this JSON body and query. */
  ctx: (body?: unknown, query?: Record<string, string>) => CrmContext;
  events: WebhookEventInput[];
}

export function testCrm(
  options: { defaultCountry?: string; searchLagMs?: number; startMs?: number } = {},
): TestCrm {
  let clock = options.startMs ?? Date.parse('2025-01-02T10:00:00.000Z');
  const portal = newPortal(1_000_001, 5_000_001, new Date(clock).toISOString(), true);
  portal.defaultCountry = options.defaultCountry;
  const events: WebhookEventInput[] = [];
  return {
    portal,
    now: () => clock,
    advance: (ms) => {
      clock += ms;
    },
    events,
    ctx: (body, query = {}) => ({
      portal,
      query: new URLSearchParams(query),
      body,
      nowIso: () => new Date(clock).toISOString(),
      nowMs: () => clock,
      searchLagMs: options.searchLagMs ?? 0,
      emit: (event) => events.push(event),
      changeSource: { changeSource: 'INTEGRATION', sourceId: '5000001' },
    }),
  };
}

export interface ContactJson {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
}

export interface SearchJson {
  total: number;
  results: ContactJson[];
  paging?: { next: { after: string } };
}

export interface BatchJson {
  results: ContactJson[];
  numErrors?: number;
  errors?: Array<{ category: string; message: string; context: Record<string, string[]> }>;
}

/** A handler response's JSON body, typed for assertions. */
export const json = <T = ContactJson>(response: SimResponse): T => response.body as T;
