import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { SubjectIdentityEntity } from './entities/subject-identity.entity';
import { SubjectEntity } from './entities/subject.entity';
import type { IdentityKind } from './ledger.types';
import type { WrappedKeyRow } from './subject-key.repository';

/** Identities to attach, already normalised, hashed (blind index) and sealed. */
export interface SealedIdentityRows {
  kinds: IdentityKind[];
  hashes: Buffer[];
  ciphertexts: Buffer[];
  keyIds: string[];
}

export interface ContactIdentityRow {
  subject_id: string;
  kind: 'phone' | 'wa_id' | 'email';
  value_hash: Buffer;
  value_ciphertext: Buffer;
  key_id: string;
}

/** A person with the flags of their rights, as the readers answer it. */
export interface PersonFlagsRow {
  id: string;
  created_at: Date;
  erased_at: Date | null;
  erasure_requested_at: Date | null;
  restricted_at: Date | null;
  objected_at: Date | null;
}

const PERSON_FLAGS = `t.id, t.created_at, t.erased_at, t.erasure_requested_at, t.restricted_at, t.objected_at`;

/** People (subject) and the identifiers they are known by (subject_identity). */
@Injectable()
export class SubjectRepository {
  constructor(
    @InjectRepository(SubjectEntity) private readonly subjects: Repository<SubjectEntity>,
    @InjectRepository(SubjectIdentityEntity) private readonly identities: Repository<SubjectIdentityEntity>,
  ) {}

  /** raw SQL: transaction-scoped advisory locks on identifier hashes (serialise resolving the same person). */
  async lockIdentityKeys(manager: EntityManager, keys: readonly string[]): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(k::bigint) FROM unnest($1::text[]) AS k`, [keys]);
  }

  /**
   * Takes the person's writer lock (one ledger writer per person at a time) and says whether they exist, in
   * one round trip (every ledger write does both).
   * raw SQL: advisory locks have no TypeORM API.
   */
  async lockWriter(manager: EntityManager, subjectId: string): Promise<boolean> {
    const rows: { found: boolean }[] = await manager.query(
      `SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7)) IS NULL AS locked,
              EXISTS (SELECT 1 FROM subject WHERE id = $1::uuid) AS found`,
      [subjectId],
    );
    return rows[0].found;
  }

  /** raw SQL: join on unnest of (kind, hash) pairs, one round trip for any number of identifiers. */
  async findByIdentities(
    manager: EntityManager,
    kinds: readonly IdentityKind[],
    hashes: readonly Buffer[],
  ): Promise<string | null> {
    const rows: { subject_id: string }[] = await manager.query(
      `SELECT si.subject_id FROM subject_identity si
         JOIN unnest($1::text[], $2::bytea[]) AS x(kind, hash) ON si.kind = x.kind AND si.value_hash = x.hash
        ORDER BY si.created_at LIMIT 1`,
      [kinds, hashes],
    );
    return rows[0]?.subject_id ?? null;
  }

  /**
   * Which of these identifiers are known, and by whom, the oldest identity first (its owner is the person these
   * identifiers name). raw SQL: join on unnest of (kind, hash) pairs, one round trip.
   */
  async knownAmong(
    manager: EntityManager,
    kinds: readonly IdentityKind[],
    hashes: readonly Buffer[],
  ): Promise<{ kind: IdentityKind; value_hash: Buffer; subject_id: string }[]> {
    return manager.query(
      `SELECT si.kind, si.value_hash, si.subject_id FROM subject_identity si
         JOIN unnest($1::text[], $2::bytea[]) AS x(kind, hash) ON si.kind = x.kind AND si.value_hash = x.hash
        ORDER BY si.created_at`,
      [kinds, hashes],
    );
  }

  /** Who owns each of these identifiers (one query for a page of CRM records); unowned ones are absent. */
  async ownersOf(
    manager: EntityManager,
    kinds: readonly IdentityKind[],
    hashes: readonly Buffer[],
  ): Promise<{ kind: IdentityKind; value_hash: Buffer; subject_id: string }[]> {
    if (kinds.length === 0) return [];
    return manager.query(
      `SELECT si.kind, si.value_hash, si.subject_id FROM subject_identity si
         JOIN unnest($1::text[], $2::bytea[]) AS x(kind, hash) ON si.kind = x.kind AND si.value_hash = x.hash`,
      [kinds, hashes],
    );
  }

  /**
   * A new person known by these identifiers, with their data key, in one round trip; returns the identities
   * added (an identifier another person took meanwhile stays with them).
   * raw SQL: ledger write path (inbox processing, backfill); one statement instead of three per new person.
   */
  async createWithIdentities(
    manager: EntityManager,
    key: WrappedKeyRow,
    rows: SealedIdentityRows,
  ): Promise<{ kind: IdentityKind; value_hash: Buffer }[]> {
    const result: { kind: IdentityKind | null; value_hash: Buffer | null }[] = await manager.query(
      `WITH s AS (INSERT INTO subject (id) VALUES ($1) RETURNING id),
            k AS (INSERT INTO subject_key (subject_id, wrapped_key, key_id) SELECT s.id, $6, $7 FROM s),
            ins AS (
              INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id)
              SELECT s.id, x.kind, x.hash, x.ct, x.key_id
                FROM s, unnest($2::text[], $3::bytea[], $4::bytea[], $5::text[]) AS x(kind, hash, ct, key_id)
              ON CONFLICT ON CONSTRAINT uq_subject_identity_kind_hash DO NOTHING
              RETURNING kind, value_hash)
       SELECT ins.kind, ins.value_hash FROM s LEFT JOIN ins ON true`,
      [key.subjectId, rows.kinds, rows.hashes, rows.ciphertexts, rows.keyIds, key.wrappedKey, key.keyId],
    );
    return result.filter((r) => r.kind !== null).map((r) => ({ kind: r.kind!, value_hash: r.value_hash! }));
  }

  /**
   * New people, each known by its identifiers and with its data key, in one statement (a page of CRM records
   * nobody knew). The caller holds the identifiers' locks and has checked nobody owns them; returns the
   * identities added.
   * raw SQL: bulk insert of unnest arrays, subjects, keys and identities together (one round trip for a page).
   */
  async createMany(
    manager: EntityManager,
    people: readonly { id: string; rows: SealedIdentityRows }[],
    keys: readonly WrappedKeyRow[],
  ): Promise<{ kind: IdentityKind; value_hash: Buffer }[]> {
    const owner = people.flatMap((p) => p.rows.kinds.map(() => p.id));
    const flat = <T>(pick: (r: SealedIdentityRows) => T[]) => people.flatMap((p) => pick(p.rows));
    return manager.query(
      `WITH s AS (INSERT INTO subject (id) SELECT unnest($1::uuid[]) RETURNING id),
            k AS (INSERT INTO subject_key (subject_id, wrapped_key, key_id)
                  SELECT x.subject_id, x.wrapped, x.key_id
                    FROM unnest($7::uuid[], $8::bytea[], $9::text[]) AS x(subject_id, wrapped, key_id)
                    JOIN s ON s.id = x.subject_id)
       INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id)
       SELECT x.subject_id, x.kind, x.hash, x.ct, x.key_id
         FROM unnest($2::uuid[], $3::text[], $4::bytea[], $5::bytea[], $6::text[]) AS x(subject_id, kind, hash, ct, key_id)
         JOIN s ON s.id = x.subject_id
       ON CONFLICT ON CONSTRAINT uq_subject_identity_kind_hash DO NOTHING
       RETURNING kind, value_hash`,
      [
        people.map((p) => p.id),
        owner,
        flat((r) => r.kinds),
        flat((r) => r.hashes),
        flat((r) => r.ciphertexts),
        flat((r) => r.keyIds),
        keys.map((k) => k.subjectId),
        keys.map((k) => k.wrappedKey),
        keys.map((k) => k.keyId),
      ],
    );
  }

  /**
   * raw SQL: bulk insert of unnest arrays with ON CONFLICT DO NOTHING on the identifier's constraint;
   * returns the identities actually added (an identifier already known stays with its owner).
   */
  async attachIdentities(
    manager: EntityManager,
    subjectId: string,
    rows: SealedIdentityRows,
  ): Promise<{ kind: IdentityKind; value_hash: Buffer }[]> {
    return manager.query(
      `INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id)
       SELECT $1, x.kind, x.hash, x.ct, x.key_id
         FROM unnest($2::text[], $3::bytea[], $4::bytea[], $5::text[]) AS x(kind, hash, ct, key_id)
       ON CONFLICT ON CONSTRAINT uq_subject_identity_kind_hash DO NOTHING
       RETURNING kind, value_hash`,
      [subjectId, rows.kinds, rows.hashes, rows.ciphertexts, rows.keyIds],
    );
  }

  /**
   * The person an identifier names (following a merge), with their rights flags; none when nobody is known by it.
   * raw SQL: self-join of subject to follow merged_into in the same round trip.
   */
  async personByIdentity(
    kind: IdentityKind,
    hash: Buffer,
    manager?: EntityManager,
  ): Promise<PersonFlagsRow[]> {
    return (manager ?? this.subjects.manager).query(
      `SELECT ${PERSON_FLAGS} FROM subject_identity si
         JOIN subject s ON s.id = si.subject_id JOIN subject t ON t.id = coalesce(s.merged_into, s.id)
        WHERE si.kind = $1 AND si.value_hash = $2`,
      [kind, hash],
    );
  }

  /** Which of these people (survivors, not merged ids) have their processing restricted (Art. 18) now. */
  async restrictedAmong(subjectIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.subjects
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .where('s.id = ANY(:ids)', { ids: subjectIds })
      .andWhere('s.restricted_at IS NOT NULL')
      .getRawMany<{ id: string }>();
    return new Set(rows.map((r) => r.id));
  }

  /** The person a subject id answers for (itself, or the person it was merged into), with their rights flags. */
  async personById(subjectId: string, manager?: EntityManager): Promise<PersonFlagsRow[]> {
    return (manager ?? this.subjects.manager).query(
      `SELECT ${PERSON_FLAGS} FROM subject s JOIN subject t ON t.id = coalesce(s.merged_into, s.id) WHERE s.id = $1`,
      [subjectId],
    );
  }

  /**
   * Retention: people not erased nor being erased, with no consent granted, whose last activity (their own events
   * and those of people merged into them; else when they were created) is before `before`. Oldest first.
   * Last activity is never before the person was created (events are recorded at or after their subject's
   * creation, and a merge's survivor is the oldest of the people merged), so `s.created_at < $1` is implied by
   * the last condition: stated first, it leaves out everyone created since `before` without the lateral.
   * raw SQL: a lateral max over two event sets (own and absorbed), which the query builder cannot express.
   */
  async inactivePeople(
    before: Date,
    limit: number,
  ): Promise<{ subject_id: string; last_activity_at: Date }[]> {
    return this.subjects.query(
      `SELECT s.id AS subject_id, coalesce(a.last, s.created_at) AS last_activity_at
         FROM subject s
         LEFT JOIN LATERAL (
           SELECT max(greatest(x.captured_at, x.recorded_at)) AS last FROM (
             SELECT e.captured_at, e.recorded_at FROM consent_event e WHERE e.subject_id = s.id
             UNION ALL
             SELECT e.captured_at, e.recorded_at FROM subject m JOIN consent_event e ON e.subject_id = m.id
              WHERE m.merged_into = s.id
           ) x
         ) a ON true
        WHERE s.erased_at IS NULL AND s.erasure_requested_at IS NULL AND s.merged_into IS NULL
          AND s.created_at < $1
          AND NOT EXISTS (SELECT 1 FROM consent_state cs WHERE cs.subject_id = s.id AND cs.status = 'granted')
          AND coalesce(a.last, s.created_at) < $1
        ORDER BY last_activity_at, s.id
        LIMIT $2`,
      [before, limit],
    );
  }

  /** Every identity of a person, sealed, oldest first (an access export opens them). */
  identitiesOf(
    subjectId: string,
  ): Promise<
    Pick<SubjectIdentityEntity, 'kind' | 'valueHash' | 'valueCiphertext' | 'keyId' | 'createdAt'>[]
  > {
    return this.identities.find({
      select: { kind: true, valueHash: true, valueCiphertext: true, keyId: true, createdAt: true },
      where: { subjectId },
      order: { createdAt: 'ASC', kind: 'ASC' },
    });
  }

  findById(subjectId: string): Promise<SubjectEntity | null> {
    return this.subjects.findOne({ where: { id: subjectId } });
  }

  /** Encrypted contact identifiers (phone, wa_id, email) of these people, oldest first. */
  contactIdentitiesOf(subjectIds: readonly string[]): Promise<ContactIdentityRow[]> {
    return this.identities
      .createQueryBuilder('si')
      .select('si.subject_id', 'subject_id')
      .addSelect('si.kind', 'kind')
      .addSelect('si.value_hash', 'value_hash')
      .addSelect('si.value_ciphertext', 'value_ciphertext')
      .addSelect('si.key_id', 'key_id')
      .where('si.subject_id = ANY(:subjectIds)', { subjectIds })
      .andWhere(`si.kind IN ('phone','wa_id','email')`)
      .orderBy('si.created_at')
      .getRawMany<ContactIdentityRow>();
  }
}
