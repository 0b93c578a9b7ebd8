'use strict';
/**
 * Seeds the ledger directly in SQL, in large batches, with exactly the gateway's scheme: the compiled
 * CryptoService and normalisation from dist/ give the blind index (HMAC-SHA256 of kind ‖ NUL ‖ normalised
 * value) and the AES-256-GCM ciphertext (iv ‖ tag ‖ ciphertext) of each identifier.
 *
 * Per person: a subject, two identities (phone in E.164, wa_id digits), one consent_event (an import) and
 * its consent_state row (purpose marketing, channel whatsapp, every scope). 80% granted, 20% withdrawn.
 */
const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { Client } = require('pg');
const { GATEWAY_DIR } = require('./processes');

const dist = (p) => require(path.join(GATEWAY_DIR, 'dist', p));

/** The i-th seeded person's phone: French mobiles +33 6 10 00 00 00 onwards (valid for libphonenumber). */
const seededPhone = (i) => `+336${String(10000000 + i).padStart(8, '0')}`;
/** Phones never seeded (valid numbers, unknown to the ledger). */
const unknownPhone = (i) => `+336${String(20000000 + i).padStart(8, '0')}`;
const isGranted = (i) => i % 5 !== 0;

function cryptoFor(secrets) {
  const { CryptoService } = dist('platform/crypto/crypto.service.js');
  const { IdentityService } = dist('modules/ledger/identity.service.js');
  const { normalisePhone } = dist('modules/ledger/phone-number.js');
  const crypto = new CryptoService({
    crypto: {
      encryptionKey: Buffer.from(secrets.encryptionKey, 'base64'),
      previousEncryptionKeys: [],
      previousBlindIndexKeys: [],
      blindIndexKey: Buffer.from(secrets.blindIndexKey, 'base64'),
    },
  });
  return { crypto, identities: new IdentityService(crypto), normalisePhone };
}

async function seed({ databaseUrl, secrets, count, batchSize = 10_000, log = () => {} }) {
  const { crypto, identities, normalisePhone } = cryptoFor(secrets);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const subjects = new Array(count);
  const started = Date.now();
  const capturedBase = Date.now() - 30 * 24 * 3600 * 1000;
  try {
    for (let from = 0; from < count; from += batchSize) {
      const to = Math.min(count, from + batchSize);
      const ids = [];
      const eventIds = [];
      const statuses = [];
      const captured = [];
      const kinds = [];
      const idSubjects = [];
      const hashes = [];
      const cts = [];
      const keyIds = [];
      for (let i = from; i < to; i++) {
        const id = randomUUID();
        const phone = seededPhone(i);
        // The same preparation the ledger applies to {kind:'wa_id', value:<digits>}: wa_id + phone.
        const prepared = identities.prepare([{ kind: 'wa_id', value: phone.slice(1) }]);
        if (prepared.length !== 2 || normalisePhone(phone) !== phone)
          throw new Error(`bad seed phone ${phone}`);
        for (const p of prepared) {
          const sealed = crypto.seal(p.normalised);
          kinds.push(p.kind);
          idSubjects.push(id);
          hashes.push(p.hash);
          cts.push(sealed.ciphertext);
          keyIds.push(sealed.keyId);
        }
        ids.push(id);
        eventIds.push(randomUUID());
        statuses.push(isGranted(i) ? 'granted' : 'withdrawn');
        captured.push(new Date(capturedBase + i * 1000).toISOString());
        subjects[i] = { id, phone, waId: phone.slice(1), granted: isGranted(i) };
      }
      await client.query('BEGIN');
      await client.query(`INSERT INTO subject (id) SELECT * FROM unnest($1::uuid[])`, [ids]);
      await client.query(
        `INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[], $5::text[])`,
        [idSubjects, kinds, hashes, cts, keyIds],
      );
      await client.query(
        `INSERT INTO consent_event (id, subject_id, purpose, channel, scope, status, effect, source, source_event_id,
            method, actor, captured_at, received_at, legal_basis, evidence)
         SELECT e.id, e.subject_id, 'marketing', 'whatsapp', '*', e.status, 'changed', 'api', 'seed:' || e.subject_id,
                'import', 'automation', e.captured_at, e.captured_at, 'consent', '{"bench":"seed"}'::jsonb
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) AS e(id, subject_id, status, captured_at)`,
        [eventIds, ids, statuses, captured],
      );
      await client.query(
        `INSERT INTO consent_state (subject_id, purpose, channel, scope, status, captured_at, source, event_id)
         SELECT e.subject_id, 'marketing', 'whatsapp', '*', e.status, e.captured_at, 'api', e.id
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) AS e(id, subject_id, status, captured_at)`,
        [eventIds, ids, statuses, captured],
      );
      await client.query('COMMIT');
      log(`  seeded ${to}/${count}`);
    }
    await client.query('ANALYZE subject, subject_identity, consent_event, consent_state');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return { subjects, seconds: (Date.now() - started) / 1000 };
}

/**
 * The key the gateway records a WhatsApp message under (consent_event.source_event_id): the blind index of its
 * wamid, never the wamid (it encodes the sender's number).
 */
function messageEventIds(secrets) {
  const { crypto } = cryptoFor(secrets);
  const { ledgerEventId } = dist('modules/whatsapp/wamid-pseudonym.js');
  return (wamid) => ledgerEventId(crypto, `msg:${wamid}`);
}

module.exports = { seed, seededPhone, unknownPhone, isGranted, messageEventIds };
