import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { isUUID } from 'class-validator';
import { effectiveState } from './conflict-rules';
import { ConsentEventRepository, type EventsPerDay } from './consent-event.repository';
import { ConsentStateRepository } from './consent-state.repository';
import { IdentityService } from './identity.service';
import { maskEmail, maskPhone } from './identifier-mask';
import { PersonNotFoundError } from './ledger.errors';
import type { ConsentStatus, IdentityKind } from './ledger.types';
import { identityPlace } from './sealed-places';
import { SubjectKeyService } from './subject-keys.service';
import { SubjectTimelineService } from './subject-timeline.service';
import { SuppressionRepository } from './suppression.repository';
import { SubjectRepository, type PersonFlagsRow } from './subject.repository';
import { SubjectMergeRepository } from './subject-merge.repository';

/** One consent state of a person as a connector must apply it (connectors call it ConsentStateSnapshot). */
export interface ConsentStateInForce {
  purpose: string;
  channel: string;
  scope: string;
  status: ConsentStatus;
  /** ISO 8601. */
  capturedAt: string;
  source: string;
  eventId: string;
  method: string | null;
  legalBasis: string | null;
}

/** A person as a push to a vendor needs them: contact identifiers (decrypted for this call) and states in force. */
export interface PersonForPush {
  /** Every phone number and email the person is known by, oldest first. */
  phones: string[];
  waId: string | null;
  emails: string[];
  states: ConsentStateInForce[];
  /** Processing restricted (Art. 18): a vendor showing consent and restriction in one field keeps showing it. */
  restricted: boolean;
}

/** The person an identifier or id names, with the flags of their rights. */
export interface SubjectFound {
  subjectId: string;
  erasureRequested: boolean;
  /** Forgotten, or erasure requested (the check answers erased). */
  erased: boolean;
  /** Forgotten: the ledger holds only their pseudonymous skeleton. */
  forgotten: boolean;
  restricted: boolean;
  objected: boolean;
}

type Timeline = Awaited<ReturnType<SubjectTimelineService['timeline']>>;

/** Everything the ledger holds on a person, opened, for an access export (Art. 15, 20). */
export interface PersonExport {
  subjectId: string;
  createdAt: string;
  erasureRequestedAt: string | null;
  erasedAt: string | null;
  restrictedAt: string | null;
  objectedAt: string | null;
  /** Every identifier, opened (null: its key is gone). */
  identifiers: { kind: IdentityKind; value: string | null; addedAt: string }[];
  /** The states in force, with how the event that set each was expressed. */
  states: ConsentStateInForce[];
  /** Every event (the person's and of everyone merged into them) with its evidence opened and its receipt. */
  events: Timeline['events'];
  merges: Timeline['merges'];
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** The consent figures of the console's overview. */
export interface OverviewFigures {
  consent: { granted: number; withdrawn: number; subjects_granted: number; subjects_withdrawn: number };
  withdrawals_today: number;
  events_per_day: EventsPerDay[];
}

/**
 * For each state row, the state in force for its scope (the conflict rules applied): a grant of every number
 * after a withdrawal of one is in force for that one too. Rows are grouped per purpose and channel.
 */
export function inForce<T extends Omit<ConsentStateInForce, 'source' | 'eventId' | 'method' | 'legalBasis'>>(
  states: readonly T[],
): T[] {
  const groups = new Map<string, T[]>();
  for (const s of states) {
    const key = `${s.purpose}\u0000${s.channel}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const out: T[] = [];
  for (const rows of groups.values()) {
    const asRows = rows.map((r) => ({
      scope: r.scope,
      status: r.status,
      capturedAt: new Date(r.capturedAt),
    }));
    for (const row of rows) {
      const effective = effectiveState(asRows, row.scope);
      const winner = effective ? rows.find((r) => r.scope === effective.scope)! : row;
      out.push({ ...winner, scope: row.scope });
    }
  }
  return out;
}

/** What other modules may read of the ledger's tables (they never query them directly). */
@Injectable()
export class LedgerReader {
  constructor(
    private readonly subjects: SubjectRepository,
    private readonly events: ConsentEventRepository,
    private readonly states: ConsentStateRepository,
    private readonly merges: SubjectMergeRepository,
    private readonly keys: SubjectKeyService,
    private readonly identities: IdentityService,
    private readonly suppressions: SuppressionRepository,
    private readonly timelines: SubjectTimelineService,
  ) {}

  /**
   * Each of these people (every id given has an entry, empty when unknown): their phones, first wa_id and
   * emails by when they were added, decrypted, and their consent states in force, ordered by purpose,
   * channel and scope. An id merged into another person has that person's identifiers and states.
   */
  async personsForPush(subjectIds: readonly string[]): Promise<Map<string, PersonForPush>> {
    const asked = [...new Set(subjectIds)];
    const survivors = await this.merges.survivorsOf(asked);
    const ids = [...new Set(asked.map((id) => survivors.get(id) ?? id))];
    const [states, identities, restricted] = await Promise.all([
      this.states.statesWithEventOf(ids),
      this.subjects.contactIdentitiesOf(ids),
      this.subjects.restrictedAmong(ids),
    ]);
    const people = new Map<string, PersonForPush>();
    for (const id of ids)
      people.set(id, { phones: [], waId: null, emails: [], states: [], restricted: restricted.has(id) });
    // One query for every person key of the batch (none for keys already in memory).
    const opener = await this.keys.opener(identities.map((r) => r.key_id));
    for (const row of identities) {
      const person = people.get(row.subject_id)!;
      const value = opener.open(
        { ciphertext: row.value_ciphertext, keyId: row.key_id },
        identityPlace(row.kind, row.value_hash),
      );
      if (value === null) continue;
      if (row.kind === 'phone') person.phones.push(value);
      if (row.kind === 'wa_id') person.waId ??= value;
      if (row.kind === 'email') person.emails.push(value);
    }
    for (const s of states) {
      people.get(s.subject_id)!.states.push({
        purpose: s.purpose,
        channel: s.channel,
        scope: s.scope,
        status: s.status,
        capturedAt: new Date(s.captured_at).toISOString(),
        source: s.source,
        eventId: s.event_id,
        method: s.method,
        legalBasis: s.legal_basis,
      });
    }
    for (const person of people.values()) person.states = inForce(person.states);
    return new Map(asked.map((id) => [id, people.get(survivors.get(id) ?? id)!]));
  }

  /**
   * Each person's WhatsApp marketing status in force for every business number (or, with only per-number
   * states, the latest), read in the caller's transaction; absent: no state. What a CRM record should show.
   */
  async marketingStatuses(
    manager: EntityManager,
    subjectIds: readonly string[],
  ): Promise<Map<string, ConsentStatus>> {
    const rows = await this.states.scopesOfMany(manager, subjectIds, 'marketing', 'whatsapp');
    const bySubject = new Map<string, typeof rows>();
    for (const r of rows) bySubject.set(r.subjectId, [...(bySubject.get(r.subjectId) ?? []), r]);
    const out = new Map<string, ConsentStatus>();
    for (const [subjectId, states] of bySubject) {
      const latest = [...states].sort((a, b) => b.capturedAt.getTime() - a.capturedAt.getTime())[0];
      out.set(subjectId, (effectiveState(states, '*') ?? latest).status);
    }
    return out;
  }

  /** The person an identifier or id names, following merges; null when nobody (an erased person's identifier names their skeleton). */
  async findSubject(
    by: { phone?: string; email?: string; subjectId?: string },
    manager?: EntityManager,
  ): Promise<SubjectFound | null> {
    let rows: PersonFlagsRow[] = [];
    if (by.subjectId !== undefined) {
      if (!isUUID(by.subjectId)) return null;
      rows = await this.subjects.personById(by.subjectId.toLowerCase(), manager);
    } else {
      const kind = by.phone !== undefined ? 'phone' : 'email';
      const value = by.phone ?? by.email;
      const found = value === undefined ? null : this.identities.lookupKey(kind, value);
      if (!found) return null;
      rows = await this.subjects.personByIdentity(kind, found.hash, manager);
      if (rows.length === 0) {
        const key = this.identities.suppressionKey(kind, found.normalised, found.hash);
        const [suppressed] = await this.suppressions.activeAmong([key], manager);
        if (suppressed) rows = await this.subjects.personById(suppressed.subject_id, manager);
      }
    }
    const row = rows[0];
    if (!row) return null;
    return {
      subjectId: row.id,
      erasureRequested: row.erasure_requested_at !== null,
      erased: row.erased_at !== null || row.erasure_requested_at !== null,
      forgotten: row.erased_at !== null,
      restricted: row.restricted_at !== null,
      objected: row.objected_at !== null,
    };
  }

  /** Everything held on the person for an access export: identifiers and evidence opened, states, merges, flags. */
  async personExport(subjectId: string): Promise<PersonExport> {
    const timeline = await this.timelines.timeline(subjectId);
    const personId = timeline.subject_id;
    const [[person], identities, states] = await Promise.all([
      this.subjects.personById(personId),
      this.subjects.identitiesOf(personId),
      this.states.statesWithEventOf([personId]),
    ]);
    if (!person) throw new PersonNotFoundError(`No subject ${subjectId}`);
    const opener = await this.keys.opener(identities.map((i) => i.keyId));
    return {
      subjectId: personId,
      createdAt: new Date(person.created_at).toISOString(),
      erasureRequestedAt: iso(person.erasure_requested_at),
      erasedAt: iso(person.erased_at),
      restrictedAt: iso(person.restricted_at),
      objectedAt: iso(person.objected_at),
      identifiers: identities.map((i) => ({
        kind: i.kind,
        value:
          i.valueCiphertext && i.keyId
            ? opener.open(
                { ciphertext: i.valueCiphertext, keyId: i.keyId },
                identityPlace(i.kind, i.valueHash),
              )
            : null,
        addedAt: new Date(i.createdAt).toISOString(),
      })),
      states: inForce(
        states.map((s) => ({
          purpose: s.purpose,
          channel: s.channel,
          scope: s.scope,
          status: s.status,
          capturedAt: new Date(s.captured_at).toISOString(),
          source: s.source,
          eventId: s.event_id,
          method: s.method,
          legalBasis: s.legal_basis,
        })),
      ),
      events: timeline.events,
      merges: timeline.merges,
    };
  }

  /** A masked identifier for display (+49 ••• ••• 789, j•••@example.com): the first phone, else email; null when none. */
  async maskedIdentifier(subjectId: string): Promise<string | null> {
    return (await this.maskedIdentifiers([subjectId])).get(subjectId) ?? null;
  }

  /**
   * A masked identifier of each of these people, for lists (a page of deliveries): their first phone, else their
   * WhatsApp number, else their first email; null when none is held (forgotten). An id merged into another person
   * shows that person's. One query for the identities and one for their keys, whatever the page's size.
   */
  async maskedIdentifiers(subjectIds: readonly string[]): Promise<Map<string, string | null>> {
    const asked = [...new Set(subjectIds)];
    if (asked.length === 0) return new Map();
    const survivors = await this.merges.survivorsOf(asked);
    const ids = [...new Set(asked.map((id) => survivors.get(id) ?? id))];
    const identities = await this.subjects.contactIdentitiesOf(ids);
    const opener = await this.keys.opener(identities.map((r) => r.key_id));
    const best = new Map<string, { rank: number; masked: string }>();
    const RANK = { phone: 0, wa_id: 1, email: 2 } as Record<string, number>;
    for (const row of identities) {
      const rank = RANK[row.kind];
      if (rank === undefined || (best.get(row.subject_id)?.rank ?? 99) <= rank) continue;
      const value = opener.open(
        { ciphertext: row.value_ciphertext, keyId: row.key_id },
        identityPlace(row.kind, row.value_hash),
      );
      if (value === null) continue;
      const masked =
        row.kind === 'email' ? maskEmail(value) : maskPhone(row.kind === 'wa_id' ? `+${value}` : value);
      best.set(row.subject_id, { rank, masked });
    }
    return new Map(asked.map((id) => [id, best.get(survivors.get(id) ?? id)?.masked ?? null]));
  }

  /** The status each of these events recorded (absent: no such event); what a consent update carried. */
  eventStatuses(eventIds: readonly string[]): Promise<Map<string, ConsentStatus>> {
    return this.events.statusesOf(eventIds);
  }

  /** Consent events recorded per UTC day and source, split by status, the last `days` days (empty days absent). */
  eventsPerDayBySource(
    days: number,
  ): Promise<{ day: string; source: string; granted: number; withdrawn: number }[]> {
    return this.events.perDayBySource(days);
  }

  /**
   * Retention: people not erased nor being erased, with no consent granted, whose last activity (latest event
   * captured or recorded, else when they were created) is before `inactiveSince`. Oldest first.
   */
  async inactivePeople(
    inactiveSince: Date,
    limit: number,
  ): Promise<{ subjectId: string; lastActivityAt: Date }[]> {
    const rows = await this.subjects.inactivePeople(inactiveSince, limit);
    return rows.map((r) => ({ subjectId: r.subject_id, lastActivityAt: new Date(r.last_activity_at) }));
  }

  /** The status the event recorded, or null when there is none; in the caller's transaction when given. */
  eventStatus(eventId: string, manager?: EntityManager): Promise<ConsentStatus | null> {
    return this.events.statusOf(eventId, manager);
  }

  /** States in force per status (and distinct people), counted over the whole projection. */
  async consentTotals(): Promise<OverviewFigures['consent']> {
    const rows = await this.states.consentTotals();
    const of = (status: string) => rows.find((r) => r.status === status);
    return {
      granted: Number(of('granted')?.states ?? 0),
      withdrawn: Number(of('withdrawn')?.states ?? 0),
      subjects_granted: Number(of('granted')?.subjects ?? 0),
      subjects_withdrawn: Number(of('withdrawn')?.subjects ?? 0),
    };
  }

  /** Withdrawals recorded today (UTC) that changed someone's consent (a repeated STOP only confirms). */
  withdrawalsToday(): Promise<number> {
    return this.events.withdrawalsToday();
  }

  /** Granted and withdrawn events recorded per UTC day, the last `days` days up to today, every day listed. */
  eventsPerDay(days: number): Promise<EventsPerDay[]> {
    return this.events.eventsPerDay(days);
  }

  /** The overview's figures from the ledger, read in parallel as the overview does. */
  async overviewFigures(days: number): Promise<OverviewFigures> {
    const [consent, withdrawalsToday, eventsPerDay] = await Promise.all([
      this.consentTotals(),
      this.withdrawalsToday(),
      this.eventsPerDay(days),
    ]);
    return { consent, withdrawals_today: withdrawalsToday, events_per_day: eventsPerDay };
  }
}
