import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { NotificationListener } from '../../src/platform/database/notification-listener';
import { ConsentQueryService } from '../../src/modules/ledger/consent-query.service';
import {
  CONSENT_CHANGED_CHANNEL,
  LedgerService,
  type RecordConsentInput,
} from '../../src/modules/ledger/ledger.service';
import { ALL_SCOPES, type IdentityInput } from '../../src/modules/ledger/ledger.types';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import { identityPlace, wrappedKeyPlace } from '../../src/modules/ledger/sealed-places';
import { eventually, startTestContext, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findPlaintext } from '../support/plaintext-scan';

const NUMBER_A = '106540352242922';
const NUMBER_B = '987654321';
const BASE = Date.UTC(2025, 5, 1, 9, 0, 0);
/** A capture time `minutes` after a fixed reference instant. */
const at = (minutes: number) => new Date(BASE + minutes * 60_000);

let sequence = 0;
/** A valid US number in WhatsApp's digits-only form, different for every call. */
const newWaId = () => `1650555${String(2000 + ++sequence).padStart(4, '0')}`;
const newEventId = (prefix = 'wamid') => `${prefix}.${randomBytes(8).toString('hex')}`;

/** A WhatsApp STOP for one business number, captured at minute 0, unless overridden. */
function consentInput(overrides: Partial<RecordConsentInput> = {}): RecordConsentInput {
  return {
    source: 'whatsapp',
    sourceEventId: newEventId(),
    identities: [{ kind: 'wa_id', value: newWaId() }],
    purpose: 'marketing',
    channel: 'whatsapp',
    scope: NUMBER_A,
    status: 'withdrawn',
    method: 'wa_keyword',
    actor: 'subject',
    capturedAt: at(0),
    receivedAt: at(0),
    ...overrides,
  };
}

/** A grant synced from HubSpot for the person known by these identifiers. */
function crmGrant(
  identities: IdentityInput[],
  overrides: Partial<RecordConsentInput> = {},
): RecordConsentInput {
  return consentInput({
    source: 'hubspot',
    sourceEventId: newEventId('hubspot'),
    identities,
    status: 'granted',
    method: 'crm_sync',
    actor: 'crm',
    ...overrides,
  });
}

describe('the consent ledger against PostgreSQL', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  let query: ConsentQueryService;
  /** Subjects whose state change this process has been told about (by NOTIFY, after commit). */
  const announced = new Set<string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    ctx = await startTestContext(db.url, config);
    ledger = ctx.get(LedgerService);
    query = ctx.get(ConsentQueryService);
    const listener = ctx.get(NotificationListener);
    listener.on(CONSENT_CHANGED_CHANNEL, (subjectId) => announced.add(subjectId));
    await listener.waitUntilLive();
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  const record = (input: RecordConsentInput) => ledger.transaction((m) => ledger.recordConsent(m, input));
  /** Waits until the change to this subject has reached the query service's cache invalidation. */
  const announcedChange = (subjectId: string) => eventually(async () => announced.has(subjectId));
  const resolve = (identities: IdentityInput[]) =>
    ledger.transaction((m) => ledger.resolveSubject(m, identities));
  const eventsOf = (subjectId: string) =>
    db.query<{ id: string; status: string; effect: string; source: string }>(
      `SELECT id, status, effect, source FROM consent_event WHERE subject_id = $1 ORDER BY recorded_at, id`,
      [subjectId],
    );
  const stateOf = async (subjectId: string, scope: string) =>
    (
      await db.query<{ status: string; event_id: string; version: number }>(
        `SELECT status, event_id, version FROM consent_state WHERE subject_id = $1 AND scope = $2`,
        [subjectId, scope],
      )
    )[0];
  const countBySource = async (source: string, sourceEventId: string) =>
    Number(
      (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM consent_event WHERE source = $1 AND source_event_id = $2`,
          [source, sourceEventId],
        )
      )[0].n,
    );

  describe(`${LedgerService.name}.recordConsent`, () => {
    describe('idempotency on (source, source_event_id)', () => {
      it('returns the first event as a duplicate when the same source event is recorded again', async () => {
        const input = consentInput();
        const first = await record(input);
        const second = await record(input);

        expect(first.duplicate).toBe(false);
        expect(second).toEqual({ ...first, duplicate: true });
        expect(await countBySource(input.source, input.sourceEventId)).toBe(1);
      });

      it('keeps one event when the same source event is recorded by two transactions at once', async () => {
        const input = consentInput();
        const results = await Promise.all([record(input), record(input)]);

        expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
        expect(results[0].eventId).toBe(results[1].eventId);
        expect(await countBySource(input.source, input.sourceEventId)).toBe(1);
      });

      it('treats the same source event id from another source as a different event', async () => {
        const input = consentInput();
        await record(input);
        const other = await record({ ...input, source: 'api', method: 'api', actor: 'automation' });

        expect(other.duplicate).toBe(false);
      });
    });

    describe('events arriving out of order', () => {
      it('keeps a later-captured withdrawal over an earlier grant that arrives after it', async () => {
        const identities = [{ kind: 'wa_id' as const, value: newWaId() }];
        const withdrawal = await record(
          consentInput({ identities, status: 'withdrawn', capturedAt: at(10) }),
        );
        const grant = await record(
          consentInput({ identities, status: 'granted', method: 'wa_button', capturedAt: at(0) }),
        );

        expect(grant).toMatchObject({ subjectId: withdrawal.subjectId, effect: 'stale', duplicate: false });
        expect(await stateOf(withdrawal.subjectId, NUMBER_A)).toMatchObject({
          status: 'withdrawn',
          event_id: withdrawal.eventId,
        });
      });

      it('still records the stale event as evidence', async () => {
        const identities = [{ kind: 'wa_id' as const, value: newWaId() }];
        const withdrawal = await record(consentInput({ identities, capturedAt: at(10) }));
        const grant = await record(consentInput({ identities, status: 'granted', capturedAt: at(0) }));

        expect(await eventsOf(withdrawal.subjectId)).toEqual([
          expect.objectContaining({ id: withdrawal.eventId, status: 'withdrawn', effect: 'changed' }),
          expect.objectContaining({ id: grant.eventId, status: 'granted', effect: 'stale' }),
        ]);
      });
    });

    describe('a grant synced from a CRM', () => {
      it.each([
        ['the same business number', NUMBER_A],
        ['every business number', null],
      ])(
        'for %s, captured before a WhatsApp withdrawal, cannot undo it when it arrives later',
        async (_label, scope) => {
          const waId = newWaId();
          await record(consentInput({ identities: [{ kind: 'wa_id', value: waId }], capturedAt: at(10) }));
          await record(
            crmGrant(
              [
                { kind: 'phone', value: `+${waId}` },
                { kind: 'hubspot_id', value: `contact-${waId}` },
              ],
              { scope, capturedAt: at(5), receivedAt: at(60) },
            ),
          );

          expect(await query.check({ phone: `+${waId}`, scope: NUMBER_A })).toMatchObject({
            allowed: false,
            reason: 'consent_withdrawn',
          });
        },
      );

      it('is recorded as stale against a later withdrawal of the same number', async () => {
        const waId = newWaId();
        await record(consentInput({ identities: [{ kind: 'wa_id', value: waId }], capturedAt: at(10) }));
        const grant = await record(crmGrant([{ kind: 'phone', value: `+${waId}` }], { capturedAt: at(5) }));

        expect(grant.effect).toBe('stale');
      });
    });

    describe('the state version', () => {
      it('goes up by one with each event that is applied', async () => {
        const identities = [{ kind: 'wa_id' as const, value: newWaId() }];
        const versions: number[] = [];
        let subjectId = '';
        for (const [status, minute] of [
          ['granted', 0],
          ['withdrawn', 10],
          ['granted', 20],
          ['granted', 30],
        ] as const) {
          ({ subjectId } = await record(consentInput({ identities, status, capturedAt: at(minute) })));
          versions.push((await stateOf(subjectId, NUMBER_A)).version);
        }

        expect(versions).toEqual([1, 2, 3, 4]);
      });

      it('stays the same for a stale event', async () => {
        const identities = [{ kind: 'wa_id' as const, value: newWaId() }];
        const { subjectId } = await record(consentInput({ identities, capturedAt: at(10) }));
        const before = (await stateOf(subjectId, NUMBER_A)).version;
        await record(consentInput({ identities, status: 'granted', capturedAt: at(0) }));

        expect((await stateOf(subjectId, NUMBER_A)).version).toBe(before);
      });
    });
  });

  describe('the consent_event table', () => {
    /** An event no state row points at (stale), which the erasure routine could delete. */
    async function staleEvent(): Promise<string> {
      const identities = [{ kind: 'wa_id' as const, value: newWaId() }];
      await record(consentInput({ identities, capturedAt: at(10) }));
      return (await record(consentInput({ identities, status: 'granted', capturedAt: at(0) }))).eventId;
    }

    async function inErasureTransaction<T>(fn: (client: Client) => Promise<T>, commit = true): Promise<T> {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL consent_gateway.erasure = 'on'`);
        const result = await fn(client);
        await client.query(commit ? 'COMMIT' : 'ROLLBACK');
        return result;
      } finally {
        await client.end();
      }
    }

    it('refuses UPDATE', async () => {
      const eventId = await staleEvent();
      await expect(
        db.query(`UPDATE consent_event SET status = 'granted' WHERE id = $1`, [eventId]),
      ).rejects.toThrow(/append-only/);
    });

    it('refuses DELETE', async () => {
      const eventId = await staleEvent();
      await expect(db.query(`DELETE FROM consent_event WHERE id = $1`, [eventId])).rejects.toThrow(
        /append-only/,
      );
      expect(await db.query(`SELECT 1 FROM consent_event WHERE id = $1`, [eventId])).toHaveLength(1);
    });

    it('refuses TRUNCATE', async () => {
      await staleEvent();
      await expect(db.query(`TRUNCATE consent_event CASCADE`)).rejects.toThrow(/append-only/);
      expect(await db.query(`SELECT 1 FROM consent_event LIMIT 1`)).toHaveLength(1);
    });

    it('allows UPDATE inside a transaction that sets consent_gateway.erasure', async () => {
      const eventId = await staleEvent();
      const updated = await inErasureTransaction((c) =>
        c.query(`UPDATE consent_event SET sealed_evidence = NULL, key_id = NULL WHERE id = $1`, [eventId]),
      );
      expect(updated.rowCount).toBe(1);
    });

    it('allows DELETE inside a transaction that sets consent_gateway.erasure', async () => {
      const eventId = await staleEvent();
      await inErasureTransaction((c) => c.query(`DELETE FROM consent_event WHERE id = $1`, [eventId]));
      expect(await db.query(`SELECT 1 FROM consent_event WHERE id = $1`, [eventId])).toHaveLength(0);
    });

    it('allows TRUNCATE inside a transaction that sets consent_gateway.erasure', async () => {
      await staleEvent();
      const remaining = await inErasureTransaction(async (c) => {
        await c.query(`TRUNCATE consent_event CASCADE`);
        return (await c.query<{ n: string }>(`SELECT count(*) AS n FROM consent_event`)).rows[0].n;
      }, false);
      expect(remaining).toBe('0');
    });

    it('refuses again once the erasure transaction has ended', async () => {
      const eventId = await staleEvent();
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL consent_gateway.erasure = 'on'`);
        await client.query('COMMIT');
        await expect(client.query(`DELETE FROM consent_event WHERE id = $1`, [eventId])).rejects.toThrow(
          /append-only/,
        );
      } finally {
        await client.end();
      }
    });
  });

  describe('identities', () => {
    it('resolves a formatted phone number and the same number as a wa_id to one subject', async () => {
      const byPhone = await resolve([{ kind: 'phone', value: '+1 650-555-1234' }]);
      const byWaId = await resolve([{ kind: 'wa_id', value: '16505551234' }]);
      expect(byWaId).toBe(byPhone);
    });

    it('resolves an email regardless of case', async () => {
      const lower = await resolve([{ kind: 'email', value: 'mixed.case@example.com' }]);
      const mixed = await resolve([{ kind: 'email', value: '  Mixed.Case@EXAMPLE.com ' }]);
      expect(mixed).toBe(lower);
    });

    it('keeps a wa_id that is not a valid phone number as a wa_id identity only', async () => {
      const subjectId = await resolve([{ kind: 'wa_id', value: '999' }]);
      const kinds = await db.query<{ kind: string }>(
        `SELECT kind FROM subject_identity WHERE subject_id = $1`,
        [subjectId],
      );
      expect(kinds.map((k) => k.kind)).toEqual(['wa_id']);
      expect(await resolve([{ kind: 'wa_id', value: '999' }])).toBe(subjectId);
    });

    it('attaches a changed number to the same subject', async () => {
      const oldNumber = newWaId();
      const newNumber = newWaId();
      const { subjectId } = await record(consentInput({ identities: [{ kind: 'wa_id', value: oldNumber }] }));

      const linked = await ledger.transaction((m) =>
        ledger.linkIdentities(
          m,
          [{ kind: 'wa_id', value: oldNumber }],
          [{ kind: 'wa_id', value: newNumber }],
        ),
      );

      expect(linked).toBe(subjectId);
      expect(await resolve([{ kind: 'phone', value: `+${newNumber}` }])).toBe(subjectId);
    });

    it('leaves a new number that already belongs to someone else with them', async () => {
      const mine = newWaId();
      const theirs = newWaId();
      const theirSubject = await resolve([{ kind: 'wa_id', value: theirs }]);

      const mySubject = await ledger.transaction((m) =>
        ledger.linkIdentities(m, [{ kind: 'wa_id', value: mine }], [{ kind: 'wa_id', value: theirs }]),
      );

      expect(mySubject).not.toBe(theirSubject);
      expect(await resolve([{ kind: 'wa_id', value: theirs }])).toBe(theirSubject);
    });
  });

  describe(findPlaintext.name, () => {
    it('finds a value stored in clear in a text column', async () => {
      const { subjectId } = await record(consentInput({ purpose: 'plaintext-canary-purpose' }));
      expect(await findPlaintext(db, ['plaintext-canary-purpose'])).toContainEqual({
        table: 'consent_event',
        column: 'purpose',
        needle: 'plaintext-canary-purpose',
      });
      expect(subjectId).toBeTruthy();
    });

    it('finds a value stored in clear in a bytea column', async () => {
      await db.query(`INSERT INTO inbox (provider, delivery_id, raw_body) VALUES ('test', $1, $2)`, [
        newEventId('delivery'),
        Buffer.from('{"body":"bytea-canary-value"}'),
      ]);
      expect(await findPlaintext(db, ['bytea-canary-value'])).toContainEqual({
        table: 'inbox',
        column: 'raw_body',
        needle: 'bytea-canary-value',
      });
    });
  });

  describe('encryption at rest', () => {
    it('stores no identifier or sealed evidence in clear in any column of any table', async () => {
      const identities: IdentityInput[] = [
        { kind: 'phone', value: '+16505551234' },
        { kind: 'wa_id', value: '16505551234' },
        { kind: 'email', value: 'jane.doe@example.com' },
      ];
      await record(
        consentInput({
          identities,
          status: 'granted',
          capturedAt: at(0),
          sealedEvidence: { text_body: 'START with secret text' },
        }),
      );
      await record(
        consentInput({
          identities,
          capturedAt: at(10),
          evidence: { keyword: 'STOP' },
          sealedEvidence: { text_body: 'STOP please secret text' },
        }),
      );

      expect(
        await findPlaintext(db, ['16505551234', '+16505551234', 'jane.doe@example.com', 'secret text']),
      ).toEqual([]);
    });

    it("labels each ciphertext with the person's own key, itself wrapped by the current master key", async () => {
      const { subjectId, eventId } = await record(
        consentInput({ sealedEvidence: { text_body: 'STOP please secret text' } }),
      );
      const currentKeyId = ctx.get(CryptoService).currentKeyId;

      const identities = await db.query<{ key_id: string }>(
        `SELECT key_id FROM subject_identity WHERE subject_id = $1`,
        [subjectId],
      );
      const [event] = await db.query<{ key_id: string }>(`SELECT key_id FROM consent_event WHERE id = $1`, [
        eventId,
      ]);
      const [key] = await db.query<{ key_id: string }>(
        `SELECT key_id FROM subject_key WHERE subject_id = $1`,
        [subjectId],
      );
      // Each bound to its place (associated data): `+a` marks the format.
      expect(identities.map((i) => i.key_id)).toEqual(identities.map(() => `sk:${subjectId}+a`));
      expect(identities.length).toBeGreaterThan(0);
      expect(event.key_id).toBe(`sk:${subjectId}+a`);
      expect(key.key_id).toBe(`${currentKeyId}+a`);
    });

    describe('after the encryption key is rotated', () => {
      const rotatedCrypto = (previousKeys: string) =>
        new CryptoService(
          loadConfig({
            NODE_ENV: 'test',
            WHATSAPP_APP_SECRET: 'rotated-app-secret',
            WHATSAPP_VERIFY_TOKEN: 'rotated-verify-token',
            ENCRYPTION_KEY: randomBytes(32).toString('base64'),
            PREVIOUS_ENCRYPTION_KEYS: previousKeys,
            BLIND_INDEX_KEY: config.crypto.blindIndexKey.toString('base64'),
          }),
        );
      /** The person's phone identity and their wrapped data key. */
      const storedIdentity = async (subjectId: string) =>
        (
          await db.query<{
            value_hash: Buffer;
            value_ciphertext: Buffer;
            wrapped_key: Buffer;
            key_id: string;
          }>(
            `SELECT si.value_hash, si.value_ciphertext, sk.wrapped_key, sk.key_id
               FROM subject_identity si JOIN subject_key sk ON sk.subject_id = si.subject_id
              WHERE si.subject_id = $1 AND si.kind = 'phone'`,
            [subjectId],
          )
        )[0];

      it('still opens ciphertexts sealed with the previous key', async () => {
        const waId = newWaId();
        const { subjectId } = await record(consentInput({ identities: [{ kind: 'wa_id', value: waId }] }));
        const stored = await storedIdentity(subjectId);
        const rotated = rotatedCrypto(
          `${randomBytes(32).toString('base64')},${config.crypto.encryptionKey.toString('base64')}`,
        );

        expect(rotated.currentKeyId).not.toBe(stored.key_id);
        const dataKey = rotated.open(
          { ciphertext: stored.wrapped_key, keyId: stored.key_id },
          wrappedKeyPlace(subjectId),
        );
        const place = identityPlace('phone', stored.value_hash);
        expect(CryptoService.openWith(dataKey, stored.value_ciphertext, place).toString()).toBe(`+${waId}`);
      });

      it('cannot open them once the previous key is no longer configured', async () => {
        const { subjectId } = await record(consentInput());
        const stored = await storedIdentity(subjectId);

        expect(() =>
          rotatedCrypto('').open(
            { ciphertext: stored.wrapped_key, keyId: stored.key_id },
            wrappedKeyPlace(subjectId),
          ),
        ).toThrow(stored.key_id);
      });
    });
  });

  describe(`${ConsentQueryService.name}.check`, () => {
    it('answers no_consent for a phone number nobody is known by', async () => {
      expect(await query.check({ phone: `+${newWaId()}` })).toEqual({
        allowed: false,
        status: 'unknown',
        reason: 'no_consent',
        scope: ALL_SCOPES,
        captured_at: null,
      });
    });

    it('allows a number with consent granted for it', async () => {
      const waId = newWaId();
      await record(consentInput({ identities: [{ kind: 'wa_id', value: waId }], status: 'granted' }));

      expect(await query.check({ phone: `+${waId}`, scope: NUMBER_A })).toEqual({
        allowed: true,
        status: 'granted',
        reason: 'consent_granted',
        scope: NUMBER_A,
        captured_at: at(0).toISOString(),
      });
    });

    it('refuses "every number" when any one number is withdrawn', async () => {
      const identities = [{ kind: 'wa_id' as const, value: newWaId() }];
      await record(consentInput({ identities, scope: NUMBER_A, status: 'granted' }));
      await record(consentInput({ identities, scope: NUMBER_B, status: 'withdrawn' }));

      expect(await query.check({ phone: `+${identities[0].value}` })).toMatchObject({
        allowed: false,
        reason: 'consent_withdrawn',
      });
    });

    it('answers repeated checks from its cache', async () => {
      const waId = newWaId();
      const { subjectId } = await record(
        consentInput({ identities: [{ kind: 'wa_id', value: waId }], status: 'granted' }),
      );
      await announcedChange(subjectId);
      expect((await query.check({ phone: `+${waId}`, scope: NUMBER_A })).allowed).toBe(true);

      // Behind the ledger's back: no NOTIFY, so a cached answer stays as it was.
      await db.query(`UPDATE consent_state SET status = 'withdrawn' WHERE subject_id = $1`, [subjectId]);

      expect((await query.check({ phone: `+${waId}`, scope: NUMBER_A })).allowed).toBe(true);
    });

    it('flips a cached answer once a withdrawal is recorded in another transaction', async () => {
      const identities = [{ kind: 'wa_id' as const, value: newWaId() }];
      const phone = `+${identities[0].value}`;
      await record(consentInput({ identities, status: 'granted', capturedAt: at(0) }));
      expect((await query.check({ phone, scope: NUMBER_A })).allowed).toBe(true);

      await record(consentInput({ identities, status: 'withdrawn', capturedAt: at(10) }));

      const after = await eventually(async () => {
        const result = await query.check({ phone, scope: NUMBER_A });
        return result.allowed ? null : result;
      });
      expect(after).toMatchObject({ status: 'withdrawn', reason: 'consent_withdrawn' });
    });

    it('does not cache an answer read before a change it was told about while reading', async () => {
      const identities = [{ kind: 'wa_id' as const, value: newWaId() }];
      const phone = `+${identities[0].value}`;
      const { subjectId } = await record(consentInput({ identities, status: 'granted', capturedAt: at(0) }));
      await announcedChange(subjectId);
      announced.delete(subjectId);
      const dataSource = ctx.get(DataSource);
      const original = dataSource.query.bind(dataSource);
      // The withdrawal commits, and is announced, after the check has read the state but before it caches it.
      const spy = jest.spyOn(dataSource, 'query').mockImplementationOnce((async (
        sql: string,
        params?: unknown[],
      ) => {
        const rows: unknown = await original(sql, params);
        await record(consentInput({ identities, status: 'withdrawn', capturedAt: at(10) }));
        await announcedChange(subjectId);
        return rows;
      }) as DataSource['query']);
      try {
        expect((await query.check({ phone, scope: NUMBER_A })).allowed).toBe(true);
      } finally {
        spy.mockRestore();
      }

      expect(await query.check({ phone, scope: NUMBER_A })).toMatchObject({ allowed: false });
    });

    it('reads the database, not memory, while the LISTEN connection is down', async () => {
      const waId = newWaId();
      const { subjectId } = await record(
        consentInput({ identities: [{ kind: 'wa_id', value: waId }], status: 'granted' }),
      );
      await announcedChange(subjectId);
      expect((await query.check({ phone: `+${waId}`, scope: NUMBER_A })).allowed).toBe(true);
      const listener = ctx.get(NotificationListener);
      listener.live = false;
      try {
        // Behind the ledger's back: no NOTIFY; with the listener down the change must still be seen.
        await db.query(`UPDATE consent_state SET status = 'withdrawn' WHERE subject_id = $1`, [subjectId]);
        expect((await query.check({ phone: `+${waId}`, scope: NUMBER_A })).allowed).toBe(false);
      } finally {
        listener.live = true;
        await db.query(`UPDATE consent_state SET status = 'granted' WHERE subject_id = $1`, [subjectId]);
      }
    });

    it('flips a cached "nobody" once the person becomes known', async () => {
      const waId = newWaId();
      const phone = `+${waId}`;
      expect((await query.check({ phone, scope: NUMBER_A })).reason).toBe('no_consent');

      await record(consentInput({ identities: [{ kind: 'wa_id', value: waId }], status: 'granted' }));

      const after = await eventually(async () => {
        const result = await query.check({ phone, scope: NUMBER_A });
        return result.allowed ? result : null;
      });
      expect(after.reason).toBe('consent_granted');
    });
  });
});
