import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { startTestApp, type TestApp } from '../../support/app';
import { credentialsPlace } from '../../../src/modules/connectors/connection.service';
import { CryptoService } from '../../../src/platform/crypto/crypto.service';

let phoneCounter = 7000;
/** A valid, never-used phone number (Google's 650-253 exchange), in E.164. */
const newPhone = () => `+1650253${String(phoneCounter++).padStart(4, '0')}`;

/**
 * Attack: someone with write access to the database (a leaked backup restored elsewhere, an SQL injection, a
 * rogue operator) copies a ciphertext from one row to another, so that the API decrypts victim B's data while
 * answering about A. Each ciphertext is bound to its row and column (AES-GCM associated data): the copy does not
 * open, and the API answers as if there were no value — never B's data, never a 500.
 */
describe('security: ciphertexts copied between rows do not decrypt', () => {
  let db: TestDatabase;
  let gw: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url, roles: { api: true, worker: false } });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
  /** A person recorded through the API, with personal evidence (sealed under their own key). */
  const person = async (evidence: Record<string, string>) => {
    const res = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `evt-${randomUUID()}`,
        phone: newPhone(),
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: '2026-11-01T10:00:00Z',
        evidence,
      },
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    return { subjectId: body.subject_id as string, eventId: body.ledger_event_id as string };
  };
  const timeline = async (subjectId: string) => {
    const res = await gw.api(`/v1/subjects/${subjectId}/timeline`);
    expect(res.status).toBe(200);
    const body = await json(res);
    return body.events as { evidence: { personal: unknown } }[];
  };
  it("does not show B's evidence on A's event when B's ciphertext is copied onto it", async () => {
    const a = await person({ ip: '198.51.100.1' });
    const b = await person({ ip: '203.0.113.66', note: 'victim B' });
    expect((await timeline(a.subjectId))[0].evidence.personal).toEqual({ ip: '198.51.100.1' });

    // B's event is under B's key: moving both the ciphertext and its key id onto A's event.
    // The ledger is append-only: the attacker switches its guard off the way the erasure routine does (the ids
    // are uuids the API answered, so they are spliced into this multi-statement script as they are).
    await db.query(`BEGIN; SET LOCAL consent_gateway.erasure = 'on';
      UPDATE consent_event SET sealed_evidence = b.sealed_evidence, key_id = b.key_id
        FROM consent_event b WHERE consent_event.id = '${a.eventId}' AND b.id = '${b.eventId}';
      COMMIT;`);

    const events = await timeline(a.subjectId);
    expect(events[0].evidence.personal).toBeNull();
    expect(JSON.stringify(events)).not.toContain('victim B');
  });

  it("does not let A's values open with B's person key copied onto A", async () => {
    const a = await person({ ip: '198.51.100.2' });
    const b = await person({ ip: '203.0.113.67' });
    await db.query(
      `UPDATE subject_key SET wrapped_key = b.wrapped_key, key_id = b.key_id
         FROM subject_key b WHERE subject_key.subject_id = $1 AND b.subject_id = $2`,
      [a.subjectId, b.subjectId],
    );
    // Restarted (same keys), so that A's key is not still in memory from its creation.
    await gw.close();
    gw = await startTestApp({ databaseUrl: db.url, roles: { api: true, worker: false }, config: gw.config });
    const events = await timeline(a.subjectId);
    expect(events[0].evidence.personal).toBeNull();
  });

  it("does not show B's identifier on A's request when B's ciphertext is copied onto it", async () => {
    const create = async (phone: string) => {
      const res = await gw.api('/v1/requests', { method: 'POST', json: { type: 'access', phone } });
      expect(res.status).toBe(201);
      return (await json(res)).id as string;
    };
    const victimPhone = newPhone();
    const [a, b] = [await create(newPhone()), await create(victimPhone)];
    const before = await json(await gw.api(`/v1/requests/${a}`));
    expect(before.subject_masked).toEqual(expect.stringMatching(/^\+1 ••• ••• \d{3}$/));

    await db.query(
      `UPDATE data_subject_request SET identifier_ciphertext = b.identifier_ciphertext,
              identifier_key_id = b.identifier_key_id
         FROM data_subject_request b WHERE data_subject_request.id = $1 AND b.id = $2`,
      [a, b],
    );
    const res = await gw.api(`/v1/requests/${a}`);
    expect(res.status).toBe(200);
    const after = await json(res);
    expect(after.subject_masked).toBeNull();
    expect(JSON.stringify(after)).not.toContain(victimPhone.slice(-3) + '"');
  });

  it("does not use B's credentials for A's connection when they are copied onto it (409, nothing leaked)", async () => {
    const crypto = gw.app.get(CryptoService);
    const [vendor] = await db.query<{ id: string }>(
      `INSERT INTO vendor (name) VALUES ('Swapped') RETURNING id`,
    );
    const connection = async (name: string, secret: string) => {
      const id = randomUUID();
      const sealed = crypto.seal(
        JSON.stringify({ signingSecret: secret, url: 'https://processor.invalid/hook' }),
        credentialsPlace(id),
      );
      await db.query(
        `INSERT INTO connection (id, vendor_id, type, name, credentials, key_id, status)
         VALUES ($1, $2, 'webhook', $3, $4, $5, 'active')`,
        [id, vendor.id, name, sealed.ciphertext, sealed.keyId],
      );
      return id;
    };
    const a = await connection('a', 'whsec-of-a');
    const b = await connection('b', 'whsec-of-victim-b');
    await db.query(
      `UPDATE connection SET credentials = b.credentials, key_id = b.key_id
         FROM connection b WHERE connection.id = $1 AND b.id = $2`,
      [a, b],
    );

    const res = await gw.api(`/v1/connections/${a}/test`, { method: 'POST' });
    expect(res.status).toBe(409);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ code: 'sealed_value_unreadable' });
    expect(body).not.toContain('whsec-of-victim-b');
    expect(body).not.toContain(b);
  });
});
