import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type EntityManager, type Repository } from 'typeorm';
import { ConnectionRecordEntity } from './entities/connection-record.entity';

/** The connection_record table: which remote record stands for which person. Values arrive sealed/hashed. */
@Injectable()
export class ConnectionRecordRepository {
  constructor(
    @InjectRepository(ConnectionRecordEntity) private readonly repo: Repository<ConnectionRecordEntity>,
  ) {}

  private of(manager?: EntityManager): Repository<ConnectionRecordEntity> {
    return manager ? manager.getRepository(ConnectionRecordEntity) : this.repo;
  }

  /**
   * The sealed remote ids of these people at the connection. raw SQL: the propagation hot path reads a whole
   * batch with one `= ANY($2)` array parameter, kept verbatim.
   */
  sealedRemoteIds(
    connectionId: string,
    subjectIds: readonly string[],
  ): Promise<{ subject_id: string; remote_id_ciphertext: Buffer; key_id: string }[]> {
    return this.repo.query(
      `SELECT subject_id, remote_id_ciphertext, key_id FROM connection_record WHERE connection_id = $1 AND subject_id = ANY($2)`,
      [connectionId, subjectIds],
    );
  }

  async subjectByRemoteHash(
    connectionId: string,
    remoteIdHash: Buffer,
    manager?: EntityManager,
  ): Promise<string | null> {
    const row = await this.of(manager).findOne({
      select: { subjectId: true },
      where: { connectionId, remoteIdHash },
    });
    return row?.subjectId ?? null;
  }

  /** The people linked to any of these remote records of one connection (one query for a page of records). */
  async subjectsByRemoteHashes(
    connectionId: string,
    remoteIdHashes: readonly Buffer[],
    manager?: EntityManager,
  ): Promise<{ subjectId: string; remoteIdHash: Buffer }[]> {
    if (remoteIdHashes.length === 0) return [];
    return this.of(manager).find({
      select: { subjectId: true, remoteIdHash: true },
      where: { connectionId, remoteIdHash: In([...remoteIdHashes]) },
    });
  }

  async lastPushed(
    connectionId: string,
    subjectId: string,
    manager?: EntityManager,
  ): Promise<Record<string, unknown> | null> {
    const row = await this.of(manager).findOne({
      select: { lastPushed: true },
      where: { connectionId, subjectId },
    });
    return row?.lastPushed ?? null;
  }

  /** raw SQL: ON CONFLICT upsert that keeps the last pushed state when the new one is null. */
  async upsert(
    record: {
      connectionId: string;
      subjectId: string;
      remoteIdHash: Buffer;
      remoteIdCiphertext: Buffer;
      keyId: string;
      lastPushed: Record<string, unknown> | null;
    },
    manager?: EntityManager,
  ): Promise<void> {
    await this.of(manager).query(
      `INSERT INTO connection_record (connection_id, subject_id, remote_id_hash, remote_id_ciphertext, key_id, last_pushed)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ON CONSTRAINT pk_connection_record DO UPDATE
         SET remote_id_hash = EXCLUDED.remote_id_hash, remote_id_ciphertext = EXCLUDED.remote_id_ciphertext,
             key_id = EXCLUDED.key_id, last_pushed = coalesce(EXCLUDED.last_pushed, connection_record.last_pushed),
             updated_at = now()`,
      [
        record.connectionId,
        record.subjectId,
        record.remoteIdHash,
        record.remoteIdCiphertext,
        record.keyId,
        record.lastPushed ? JSON.stringify(record.lastPushed) : null,
      ],
    );
  }
}
