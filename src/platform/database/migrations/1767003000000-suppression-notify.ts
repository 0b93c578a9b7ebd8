import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every write to the suppression list is announced on cg_suppression_changed (SUPPRESSION_CHANGED_CHANNEL),
 * on commit, with the identifier's cache key ("kind:base64 of the blind index", IdentityService.cacheKey):
 * the consent check answers unknown identifiers from memory, which holds the list, so it must hear of every
 * entry added or lifted, whichever code (or hand-written SQL) wrote it. A trigger, not the writers, so a
 * writer added later cannot forget. PostgreSQL's base64 of a 32-byte index has no line break.
 */
export class SuppressionNotify1767003000000 implements MigrationInterface {
  name = 'SuppressionNotify1767003000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION suppression_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN
          PERFORM pg_notify('cg_suppression_changed', OLD.kind || ':' || encode(OLD.value_hash, 'base64'));
        END IF;
        IF TG_OP <> 'DELETE' THEN
          PERFORM pg_notify('cg_suppression_changed', NEW.kind || ':' || encode(NEW.value_hash, 'base64'));
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_suppression_notify AFTER INSERT OR UPDATE OR DELETE ON suppression
      FOR EACH ROW EXECUTE FUNCTION suppression_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_suppression_notify ON suppression`);
    await q.query(`DROP FUNCTION suppression_notify()`);
  }
}
