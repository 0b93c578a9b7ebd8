import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../support/database';

const MODULES = join(__dirname, '..', '..', 'src', 'modules');

/** Every file matching src/modules/<module>/entities/<name>.entity.ts, so new entities are covered as added. */
function entityFiles(): string[] {
  return (readdirSync(MODULES, { recursive: true }) as string[])
    .filter((file) => {
      const parts = file.split(sep);
      return parts.length === 3 && parts[1] === 'entities' && parts[2].endsWith('.entity.ts');
    })
    .map((file) => join(MODULES, file))
    .sort();
}

/** The classes those files export (imported, so the test runner compiles them with decorator metadata). */
async function entityClasses(files: readonly string[]): Promise<(new () => unknown)[]> {
  const classes: (new () => unknown)[] = [];
  for (const file of files) {
    const exported = (await import(file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported))
      if (typeof value === 'function' && name.endsWith('Entity')) classes.push(value as new () => unknown);
  }
  return classes;
}

describe('the entities and the migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let files: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    files = entityFiles();
    dataSource = new DataSource({
      type: 'postgres',
      url: db.url,
      synchronize: false,
      entities: await entityClasses(files),
      logging: false,
    });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('finds entities in every module that owns tables', () => {
    const modules = new Set(files.map((f) => relative(MODULES, f).split(sep)[0]));
    expect([...modules]).toEqual(
      expect.arrayContaining(['audit', 'auth', 'connectors', 'inbox', 'ledger', 'propagation', 'vendors']),
    );
  });

  it('describe the same schema: generating a migration from the entities yields nothing', async () => {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    // Compared as text, so a failure prints every statement the entities would add to the migrations.
    expect(upQueries.map((q) => `${q.query};`).join('\n')).toBe('');
  });

  // TypeORM compares partial-index predicates and check constraints by name only. PostgreSQL is asked to
  // normalise the entity's expression (on a probe created and rolled back) and compare it with the migration's.
  it('declare the same partial-index predicates and check constraints as the migrations', async () => {
    const mismatches: string[] = [];
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      for (const meta of dataSource.entityMetadatas) {
        const table = `"${meta.tableName}"`;
        for (const index of meta.indices) {
          if (!index.where || index.synchronize === false || !index.name) continue;
          const columns = index.columns.map((c) => `"${c.databaseName}"`).join(', ');
          await runner.query(`CREATE INDEX cg_schema_probe ON ${table} (${columns}) WHERE ${index.where}`);
          const [row] = (await runner.query(
            `SELECT (SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = to_regclass($1)) AS migrated,
                    (SELECT pg_get_expr(indpred, indrelid) FROM pg_index
                      WHERE indexrelid = 'cg_schema_probe'::regclass) AS declared`,
            [index.name],
          )) as { migrated: string | null; declared: string }[];
          if (row.migrated !== row.declared)
            mismatches.push(`index ${index.name}: migrations ${row.migrated}, entity ${row.declared}`);
          await runner.query(`DROP INDEX cg_schema_probe`);
        }
        for (const check of meta.checks) {
          await runner.query(
            `ALTER TABLE ${table} ADD CONSTRAINT cg_schema_probe CHECK (${check.expression}) NOT VALID`,
          );
          const rows = (await runner.query(
            `SELECT conname, replace(pg_get_constraintdef(oid), ' NOT VALID', '') AS def FROM pg_constraint
              WHERE conrelid = $1::regclass AND conname IN ($2, 'cg_schema_probe')`,
            [meta.tableName, check.name],
          )) as { conname: string; def: string }[];
          const migrated = rows.find((r) => r.conname === check.name)?.def ?? null;
          const declared = rows.find((r) => r.conname === 'cg_schema_probe')?.def;
          if (migrated !== declared)
            mismatches.push(`check ${check.name}: migrations ${migrated}, entity ${declared}`);
          await runner.query(`ALTER TABLE ${table} DROP CONSTRAINT cg_schema_probe`);
        }
      }
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(mismatches.join('\n')).toBe('');
  });
});
