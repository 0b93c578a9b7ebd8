import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import { IdentityService } from '../../src/modules/ledger/identity.service';
import { LedgerReader } from '../../src/modules/ledger/ledger.reader';
import { LedgerService, type RecordConsentInput } from '../../src/modules/ledger/ledger.service';
import { identityPlace, wrappedKeyPlace } from '../../src/modules/ledger/sealed-places';
import { SubjectKeyService } from '../../src/modules/ledger/subject-keys.service';
import { SubjectTimelineService } from '../../src/modules/ledger/subject-timeline.service';
import { startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const MONDAY = new Date('2025-06-02T09:00:00Z');

let sequence = 0;
const newPhone = () => `+1650555${String(7000 + ++sequence).padStart(4, '0')}`;
const newEmail = () => `keys-${randomBytes(4).toString('hex')}@example.org`;

describe(SubjectKeyService.name, () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  let identities: IdentityService;
  let reader: LedgerReader;
  let crypto: CryptoService;

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    ledger = ctx.get(LedgerService);
    identities = ctx.get(IdentityService);
    reader = ctx.get(LedgerReader);
    crypto = ctx.get(CryptoService);
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  const keyOf = async (subjectId: string) =>
    (
      await db.query<{ wrapped_key: Buffer; key_id: string }>(
        `SELECT wrapped_key, key_id FROM subject_key WHERE subject_id = $1`,
        [subjectId],
      )
    )[0];

  it('gives every person created in bulk a key of their own, sealing their identities under it', async () => {
    const [phoneA, phoneB] = [newPhone(), newPhone()];
    const ids = await ledger.transaction((m) =>
      ledger.createPeople(m, [
        identities.prepare([{ kind: 'phone', value: phoneA }]),
        identities.prepare([{ kind: 'phone', value: phoneB }]),
      ]),
    );
    const [a, b] = ids as string[];
    const [keyA, keyB] = [await keyOf(a), await keyOf(b)];
    // Bound (associated data): the wrap to its person, the identity to its kind and blind index.
    expect(keyA.key_id).toBe(`${crypto.currentKeyId}+a`);
    const dataKeyA = crypto.open({ ciphertext: keyA.wrapped_key, keyId: keyA.key_id }, wrappedKeyPlace(a));
    const dataKeyB = crypto.open({ ciphertext: keyB.wrapped_key, keyId: keyB.key_id }, wrappedKeyPlace(b));
    expect(dataKeyA.equals(dataKeyB)).toBe(false);
    expect(() =>
      crypto.open({ ciphertext: keyA.wrapped_key, keyId: keyA.key_id }, wrappedKeyPlace(b)),
    ).toThrow();
    const [identity] = await db.query<{ value_hash: Buffer; value_ciphertext: Buffer; key_id: string }>(
      `SELECT value_hash, value_ciphertext, key_id FROM subject_identity WHERE subject_id = $1`,
      [a],
    );
    expect(identity.key_id).toBe(`sk:${a}+a`);
    const place = identityPlace('phone', identity.value_hash);
    expect(CryptoService.openWith(dataKeyA, identity.value_ciphertext, place).toString()).toBe(phoneA);
  });

  it('opens the identities of many people for a push', async () => {
    const phones = [newPhone(), newPhone(), newPhone()];
    const ids = (await ledger.transaction((m) =>
      ledger.createPeople(
        m,
        phones.map((phone) => identities.prepare([{ kind: 'phone', value: phone }])),
      ),
    )) as string[];
    const people = await reader.personsForPush(ids);
    expect(ids.map((id) => people.get(id)?.phones)).toEqual(phones.map((p) => [p]));
  });

  it('still opens identities sealed under the master key before per-person keys', async () => {
    const phone = newPhone();
    const [subject] = await db.query<{ id: string }>(`INSERT INTO subject DEFAULT VALUES RETURNING id`);
    const [prepared] = identities.prepare([{ kind: 'phone', value: phone }]);
    const sealed = crypto.seal(phone);
    await db.query(
      `INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id) VALUES ($1, 'phone', $2, $3, $4)`,
      [subject.id, prepared.hash, sealed.ciphertext, sealed.keyId],
    );
    expect((await reader.personsForPush([subject.id])).get(subject.id)?.phones).toEqual([phone]);
  });

  it('creates a key for a person from before per-person keys when a new identifier is attached', async () => {
    const [subject] = await db.query<{ id: string }>(`INSERT INTO subject DEFAULT VALUES RETURNING id`);
    const email = newEmail();
    await ledger.transaction((m) =>
      ledger.attachIdentities(m, subject.id, identities.prepare([{ kind: 'email', value: email }])),
    );
    expect(await keyOf(subject.id)).toBeDefined();
    expect((await reader.personsForPush([subject.id])).get(subject.id)?.emails).toEqual([email]);
  });

  it('seals the personal evidence of an event under the person key and opens it in the timeline', async () => {
    const input: RecordConsentInput = {
      source: 'api',
      sourceEventId: `api.${randomBytes(6).toString('hex')}`,
      identities: [{ kind: 'email', value: newEmail() }],
      purpose: 'marketing',
      channel: 'email',
      scope: null,
      status: 'granted',
      method: 'web_form',
      actor: 'automation',
      capturedAt: MONDAY,
      receivedAt: MONDAY,
      sealedEvidence: { ip: '203.0.113.9' },
    };
    const { subjectId, eventId } = await ledger.transaction((m) => ledger.recordConsent(m, input));
    const [event] = await db.query<{ key_id: string }>(`SELECT key_id FROM consent_event WHERE id = $1`, [
      eventId,
    ]);
    expect(event.key_id).toBe(`sk:${subjectId}+a`); // under their key, bound to the event (associated data)
    const timeline = await ctx.get(SubjectTimelineService).timeline(subjectId);
    expect(timeline.events[0].evidence.personal).toEqual({ ip: '203.0.113.9' });
  });

  it('keeps identities moved by a merge readable through the key of the person absorbed', async () => {
    const [phone, email] = [newPhone(), newEmail()];
    const [a, b] = (await ledger.transaction((m) =>
      ledger.createPeople(m, [
        identities.prepare([{ kind: 'phone', value: phone }]),
        identities.prepare([{ kind: 'email', value: email }]),
      ]),
    )) as string[];
    const survivor = await ledger.transaction((m) =>
      ledger.resolvePreparedSubject(
        m,
        identities.prepare([
          { kind: 'phone', value: phone },
          { kind: 'email', value: email },
        ]),
        { source: 'hubspot', reason: 'crm_record_joined_identifiers', evidence: {} },
      ),
    );
    expect([a, b]).toContain(survivor);
    const person = (await reader.personsForPush([survivor])).get(survivor);
    expect({ phones: person?.phones, emails: person?.emails }).toEqual({ phones: [phone], emails: [email] });
  });
});
