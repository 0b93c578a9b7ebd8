import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../support/database';

const MODULES = join(__dirname, '../../src/modules');

/** Every `src/modules/<module>/entities/*.entity.ts`, so a new entity is checked without listing it here. */
function entityFiles(): string[] {
  return readdirSync(MODULES, { withFileTypes: true })
    .filter((m) => m.isDirectory())
    .flatMap((m) => {
      const dir = join(MODULES, m.name, 'entities');
      try {
        return readdirSync(dir)
          .filter((f) => f.endsWith('.entity.ts'))
          .map((f) => join(dir, f));
      } catch {
        return [];
      }
    });
}

async function loadEntities(): Promise<(new () => unknown)[]> {
  const classes: (new () => unknown)[] = [];
  for (const file of entityFiles()) {
    const exported = (await import(file)) as Record<string, unknown>;
    for (const value of Object.values(exported)) {
      if (typeof value === 'function' && value.name.endsWith('Entity'))
        classes.push(value as new () => unknown);
    }
  }
  return classes;
}

/** The entities and the migrations describe the same schema: generating a migration from the entities yields nothing. */
describe('the entities', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({ type: 'postgres', url: db.url, entities: await loadEntities() });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('describe every table exactly as the migrations create it', async () => {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    expect(upQueries.map((q) => q.query)).toEqual([]);
  });
});
