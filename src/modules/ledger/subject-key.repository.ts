import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type EntityManager, type Repository } from 'typeorm';
import { SubjectKeyEntity } from './entities/subject-key.entity';

/** A person's data key as stored: wrapped by the master key that key_id names. */
export interface WrappedKeyRow {
  subjectId: string;
  wrappedKey: Buffer;
  keyId: string;
}

/** The people's own data keys (subject_key). */
@Injectable()
export class SubjectKeyRepository {
  constructor(@InjectRepository(SubjectKeyEntity) private readonly keys: Repository<SubjectKeyEntity>) {}

  /** The wrapped keys of these people (absent: never had one, or forgotten), in the caller's transaction if given. */
  async find(subjectIds: readonly string[], manager?: EntityManager): Promise<WrappedKeyRow[]> {
    if (subjectIds.length === 0) return [];
    const repo = manager ? manager.getRepository(SubjectKeyEntity) : this.keys;
    return repo.find({
      select: { subjectId: true, wrappedKey: true, keyId: true },
      where: { subjectId: In([...subjectIds]) },
    });
  }

  /**
   * A key for a person who has none yet (created before per-person keys), unless they are forgotten; a
   * concurrent creation wins and its key is returned instead. Null: the person is forgotten or unknown.
   * raw SQL: INSERT … SELECT … WHERE EXISTS … ON CONFLICT DO NOTHING RETURNING, race-free in one statement.
   */
  async ensure(manager: EntityManager, row: WrappedKeyRow): Promise<WrappedKeyRow | null> {
    const inserted: { subject_id: string }[] = await manager.query(
      `INSERT INTO subject_key (subject_id, wrapped_key, key_id)
       SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM subject WHERE id = $1 AND erased_at IS NULL)
       ON CONFLICT ON CONSTRAINT pk_subject_key DO NOTHING
       RETURNING subject_id`,
      [row.subjectId, row.wrappedKey, row.keyId],
    );
    if (inserted.length) return row;
    return (await this.find([row.subjectId], manager))[0] ?? null;
  }

  /** Destroys the keys (crypto-shredding); returns how many were deleted. */
  async destroy(manager: EntityManager, subjectIds: readonly string[]): Promise<number> {
    if (subjectIds.length === 0) return 0;
    const result = await manager.getRepository(SubjectKeyEntity).delete({ subjectId: In([...subjectIds]) });
    return result.affected ?? 0;
  }
}
