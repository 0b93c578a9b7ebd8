import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type EntityManager, type Repository } from 'typeorm';
import { ConnectionRecordEntity } from './entities/connection-record.entity';
import { ConnectionUnmatchedEntity } from './entities/connection-unmatched.entity';

/** A record link as written: values arrive sealed (remote id) and hashed (its blind index). */
export interface SealedRecordLink {
  subjectId: string;
  remoteIdHash: Buffer;
  remoteIdCiphertext: Buffer;
  keyId: string;
  recordType: string;
  lastPushed: Record<string, unknown> | null;
}

/** A problem with one record's value, sealed like a link (the value itself is never kept). */
export interface SealedUnmatched {
  remoteIdHash: Buffer;
  remoteIdCiphertext: Buffer;
  keyId: string;
  recordType: string;
  problems: { field: string; reason: string }[];
}

/** connection_record (which remote records stand for which person) and connection_unmatched. */
@Injectable()
export class ConnectionRecordRepository {
  constructor(
    @InjectRepository(ConnectionRecordEntity) private readonly repo: Repository<ConnectionRecordEntity>,
    @InjectRepository(ConnectionUnmatchedEntity)
    private readonly unmatchedRepo: Repository<ConnectionUnmatchedEntity>,
  ) {}

  private of(manager?: EntityManager): Repository<ConnectionRecordEntity> {
    return manager ? manager.getRepository(ConnectionRecordEntity) : this.repo;
  }

  /**
   * The sealed remote ids of these people at the connection (every record of each). raw SQL: the propagation hot
   * path reads a whole batch with one `= ANY($2)` array parameter.
   */
  sealedRemoteIds(
    connectionId: string,
    subjectIds: readonly string[],
  ): Promise<{ subject_id: string; remote_id_hash: Buffer; remote_id_ciphertext: Buffer; key_id: string }[]> {
    return this.repo.query(
      `SELECT subject_id, remote_id_hash, remote_id_ciphertext, key_id FROM connection_record
        WHERE connection_id = $1 AND subject_id = ANY($2) ORDER BY created_at`,
      [connectionId, subjectIds],
    );
  }

  /** The people linked to any of these remote records of one connection (one query for a page of records). */
  async byRemoteHashes(
    connectionId: string,
    remoteIdHashes: readonly Buffer[],
    manager?: EntityManager,
  ): Promise<{ subjectId: string; remoteIdHash: Buffer; lastPushed: Record<string, unknown> | null }[]> {
    if (remoteIdHashes.length === 0) return [];
    return this.of(manager).find({
      select: { subjectId: true, remoteIdHash: true, lastPushed: true },
      where: { connectionId, remoteIdHash: In([...remoteIdHashes]) },
    });
  }

  /**
   * Links records to people (a record already linked to someone else moves: the vendor's record now names another
   * person). The last pushed state is kept when the new one is null.
   * raw SQL: one bulk ON CONFLICT upsert for a page of records.
   */
  async upsertMany(
    manager: EntityManager | undefined,
    connectionId: string,
    links: readonly SealedRecordLink[],
  ): Promise<void> {
    if (links.length === 0) return;
    await (manager ?? this.repo.manager).query(
      `INSERT INTO connection_record AS r
              (connection_id, subject_id, remote_id_hash, remote_id_ciphertext, key_id, record_type, last_pushed)
       SELECT $1, x.subject_id, x.hash, x.ct, x.key_id, x.record_type, x.pushed
         FROM unnest($2::uuid[], $3::bytea[], $4::bytea[], $5::text[], $6::text[], $7::jsonb[])
              AS x(subject_id, hash, ct, key_id, record_type, pushed)
       ON CONFLICT ON CONSTRAINT pk_connection_record DO UPDATE
         SET remote_id_ciphertext = EXCLUDED.remote_id_ciphertext, key_id = EXCLUDED.key_id,
             record_type = EXCLUDED.record_type,
             last_pushed = coalesce(EXCLUDED.last_pushed, r.last_pushed),
             subject_id = EXCLUDED.subject_id, updated_at = now()`,
      [
        connectionId,
        links.map((l) => l.subjectId),
        links.map((l) => l.remoteIdHash),
        links.map((l) => l.remoteIdCiphertext),
        links.map((l) => l.keyId),
        links.map((l) => l.recordType),
        links.map((l) => (l.lastPushed ? JSON.stringify(l.lastPushed) : null)),
      ],
    );
  }

  /** Moves every record of the merged people to the person they were merged into (a ledger merge). */
  async repoint(manager: EntityManager, survivorId: string, mergedIds: readonly string[]): Promise<void> {
    await this.of(manager).update({ subjectId: In([...mergedIds]) }, { subjectId: survivorId });
  }

  /** Removes one record's link (an erasure reached the record: it no longer stands for anyone here). */
  async unlink(manager: EntityManager, connectionId: string, remoteIdHash: Buffer): Promise<number> {
    const result = await this.of(manager).delete({ connectionId, remoteIdHash });
    return result.affected ?? 0;
  }

  /** Removes every record link of a person at every connection (the gateway forgot them). */
  async unlinkSubject(manager: EntityManager, subjectId: string): Promise<number> {
    const result = await this.of(manager).delete({ subjectId });
    return result.affected ?? 0;
  }

  /**
   * Replaces what is known to be wrong with these records (a record seen again without a problem is cleared).
   * raw SQL: delete and bulk insert for a page in two statements.
   */
  async replaceUnmatched(
    manager: EntityManager,
    connectionId: string,
    seen: readonly Buffer[],
    records: readonly SealedUnmatched[],
  ): Promise<void> {
    if (seen.length > 0)
      await manager.query(
        `DELETE FROM connection_unmatched WHERE connection_id = $1 AND remote_id_hash = ANY($2::bytea[])`,
        [connectionId, seen],
      );
    const rows = records.flatMap((r) => r.problems.map((p) => ({ ...r, ...p })));
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO connection_unmatched
              (connection_id, remote_id_hash, remote_id_ciphertext, key_id, record_type, field, reason)
       SELECT $1, x.hash, x.ct, x.key_id, x.record_type, x.field, x.reason
         FROM unnest($2::bytea[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::text[])
              AS x(hash, ct, key_id, record_type, field, reason)
       ON CONFLICT ON CONSTRAINT pk_connection_unmatched DO UPDATE
         SET reason = EXCLUDED.reason, last_seen_at = now()`,
      [
        connectionId,
        rows.map((r) => r.remoteIdHash),
        rows.map((r) => r.remoteIdCiphertext),
        rows.map((r) => r.keyId),
        rows.map((r) => r.recordType),
        rows.map((r) => r.field),
        rows.map((r) => r.reason),
      ],
    );
  }

  /** The connection's unmatched records, newest problem first, and their count per reason. */
  async unmatched(
    connectionId: string,
    limit: number,
  ): Promise<{ rows: ConnectionUnmatchedEntity[]; counts: { reason: string; count: number }[] }> {
    const [rows, counts] = await Promise.all([
      this.unmatchedRepo.find({
        where: { connectionId },
        order: { lastSeenAt: 'DESC', field: 'ASC' },
        take: limit,
      }),
      this.unmatchedRepo
        .createQueryBuilder('u')
        .select('u.reason', 'reason')
        .addSelect('count(*)::int', 'count')
        .where('u.connection_id = :connectionId', { connectionId })
        .groupBy('u.reason')
        .orderBy('u.reason')
        .getRawMany<{ reason: string; count: number }>(),
    ]);
    return { rows, counts };
  }
}
