import { Client } from 'pg';
import type { TestDatabase } from './database';

export interface PlaintextHit {
  table: string;
  column: string;
  needle: string;
}

/**
 * Every place in the public schema where one of the needles is stored in clear: each column of each table
 * is searched as text, and bytea columns also byte-for-byte (their text form is hex, which would hide a
 * plaintext). An empty result means none of the needles is readable from the database without a key.
 */
export async function findPlaintext(db: TestDatabase, needles: readonly string[]): Promise<PlaintextHit[]> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    return await scan(client, needles);
  } finally {
    await client.end();
  }
}

async function scan(client: Client, needles: readonly string[]): Promise<PlaintextHit[]> {
  const { rows: columns } = await client.query<{
    table_name: string;
    column_name: string;
    data_type: string;
  }>(
    `SELECT c.table_name, c.column_name, c.data_type
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
      ORDER BY c.table_name, c.ordinal_position`,
  );
  if (columns.length === 0) throw new Error('findPlaintext: the public schema has no tables to scan');
  const hits: PlaintextHit[] = [];
  for (const { table_name: table, column_name: column, data_type: type } of columns) {
    const ident = `"${column.replace(/"/g, '""')}"`;
    const conditions = [`position($1 in ${ident}::text) > 0`];
    if (type === 'bytea') conditions.push(`position(convert_to($1, 'UTF8') in ${ident}) > 0`);
    const sql = `SELECT EXISTS (SELECT 1 FROM public."${table.replace(/"/g, '""')}" WHERE ${conditions.join(' OR ')}) AS found`;
    for (const needle of needles) {
      const { rows } = await client.query<{ found: boolean }>(sql, [needle]);
      if (rows[0].found) hits.push({ table, column, needle });
    }
  }
  return hits;
}
