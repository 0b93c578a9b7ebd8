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
    expect([...modules]).toEqual(expect.arrayContaining(['inbox', 'ledger']));
  });

  it('describe the same schema: generating a migration from the entities yields nothing', async () => {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    // Compared as text, so a failure prints every statement the entities would add to the migrations.
    expect(upQueries.map((q) => `${q.query};`).join('\n')).toBe('');
  });
});
