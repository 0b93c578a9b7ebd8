import { createHash } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, type TestApp } from '../support/app';
import { ALL_CLAUSES, postDpaForm, TINY_PDF } from '../support/registry';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

interface Problem {
  status: number;
  errors?: { field: string; message: string }[];
}

/**
 * Issue 11: recording a DPA version and its signed document is one request (multipart/form-data, a `dpa`
 * JSON part and a `document` part) that succeeds whole or leaves nothing: a refused file never leaves a
 * "signed" version behind.
 */
describe('POST /v1/vendors/{id}/dpas with its document', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let vendorId = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url, roles: { api: true, worker: false } });
    const vendor = await gw.api('/v1/vendors', { method: 'POST', json: { name: 'One Step Ltd' } });
    vendorId = (await json(vendor)).id;
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const fields = (over: Record<string, unknown> = {}) => ({
    status: 'signed',
    signed_at: yesterday(),
    clauses: ALL_CLAUSES,
    ...over,
  });
  const versions = async () => (await db.query(`SELECT id FROM dpa WHERE vendor_id = $1`, [vendorId])).length;
  const documents = async () =>
    (
      await db.query(
        `SELECT f.dpa_id FROM dpa_document f JOIN dpa d ON d.id = f.dpa_id WHERE d.vendor_id = $1`,
        [vendorId],
      )
    ).length;

  /** A 4xx problem naming the field, and nothing stored: no version, no document. */
  async function refusedLeavingNothing(send: () => Promise<Response>, status: number, field: string) {
    const before = { versions: await versions(), documents: await documents() };
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await res.json()) as Problem;
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    expect({ versions: await versions(), documents: await documents() }).toEqual(before);
    const history = await json(await gw.api(`/v1/vendors/${vendorId}/dpas`));
    expect(history.versions).toHaveLength(before.versions);
    return problem;
  }

  it('records a signed version with its PDF in one request: complete, valid, and the document served back', async () => {
    const res = await postDpaForm(gw, vendorId, fields(), { bytes: TINY_PDF, name: 'Auftrag ü.pdf' });
    expect(res.status).toBe(201);
    const dpa = await json(res);
    expect(dpa).toMatchObject({
      version: 1,
      status: 'signed',
      effective_status: 'signed',
      valid: true,
      incomplete: [],
      clauses_missing: [],
      document: {
        name: 'Auftrag ü.pdf',
        type: 'application/pdf',
        size: TINY_PDF.length,
        sha256: createHash('sha256').update(TINY_PDF).digest('hex'),
      },
    });
    const download = await gw.api(`/v1/dpas/${dpa.id}/document`);
    expect(Buffer.from(await download.arrayBuffer()).equals(TINY_PDF)).toBe(true);
    expect(await json(await gw.api(`/v1/vendors/${vendorId}`))).toMatchObject({ dpa_valid: true });
  });

  it('accepts a DOCX sent as application/octet-stream by its file name, and checks its bytes', async () => {
    const docx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(32, 1)]);
    const res = await postDpaForm(gw, vendorId, fields(), {
      bytes: docx,
      type: 'application/octet-stream',
      name: 'dpa.docx',
    });
    expect(res.status).toBe(201);
    expect((await json(res)).document).toMatchObject({ type: DOCX, size: docx.length });
  });

  it('refuses a document over 10 MB with 413 naming the document, and records no version', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);
    big.write('%PDF-1.7');
    await refusedLeavingNothing(() => postDpaForm(gw, vendorId, fields(), { bytes: big }), 413, 'document');
  });

  it('refuses a body far over the limit (the form itself too large) with 413, recording nothing', async () => {
    const huge = Buffer.alloc(11 * 1024 * 1024, 0x20);
    huge.write('%PDF-1.7');
    await refusedLeavingNothing(() => postDpaForm(gw, vendorId, fields(), { bytes: huge }), 413, 'document');
  });

  it('refuses a file of another type (an image) with 415, recording nothing', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await refusedLeavingNothing(
      () => postDpaForm(gw, vendorId, fields(), { bytes: png, type: 'image/png', name: 'scan.png' }),
      415,
      'document',
    );
  });

  it('refuses a fake PDF (an executable renamed .pdf) with 415, recording nothing', async () => {
    await refusedLeavingNothing(
      () => postDpaForm(gw, vendorId, fields(), { bytes: Buffer.from('MZ\x90\x00\x03\x00\x00\x00') }),
      415,
      'document',
    );
  });

  it('refuses an empty file, recording nothing', async () => {
    await refusedLeavingNothing(
      () => postDpaForm(gw, vendorId, fields(), { bytes: Buffer.alloc(0), name: 'empty.pdf' }),
      400,
      'document',
    );
  });

  it('refuses invalid fields with 400 naming them, before the document is stored', async () => {
    await refusedLeavingNothing(
      () => postDpaForm(gw, vendorId, fields({ signed_at: '2026-02-30' }), { bytes: TINY_PDF }),
      400,
      'signed_at',
    );
    await refusedLeavingNothing(
      () => postDpaForm(gw, vendorId, fields({ clauses: { audit: true } }), { bytes: TINY_PDF }),
      400,
      'clauses.audit',
    );
    await refusedLeavingNothing(
      () => postDpaForm(gw, vendorId, fields({ notes: 'a\u0000b' }), { bytes: TINY_PDF }),
      400,
      'notes',
    );
  });

  it('refuses a form without its dpa part, with a part of another name, or with JSON that does not parse', async () => {
    const raw = (body: string, boundary = 'b0') =>
      gw.api(`/v1/vendors/${vendorId}/dpas`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: Buffer.from(body),
      });
    const part = (name: string, content: string) =>
      `--b0\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${content}\r\n`;
    await refusedLeavingNothing(() => raw(`${part('notes', 'x')}--b0--\r\n`), 400, 'notes');
    await refusedLeavingNothing(() => raw(`${part('document', '%PDF-1.7')}--b0--\r\n`), 400, 'dpa');
    await refusedLeavingNothing(() => raw(`${part('dpa', '{"status":')}--b0--\r\n`), 400, 'dpa');
    await refusedLeavingNothing(() => raw(`${part('dpa', '{}')}`), 400, 'body');
    await refusedLeavingNothing(
      () =>
        gw.api(`/v1/vendors/${vendorId}/dpas`, {
          method: 'POST',
          headers: { 'content-type': 'multipart/form-data' },
          body: Buffer.from('x'),
        }),
      400,
      'content-type',
    );
  });

  it('answers 404 for an unknown vendor, recording nothing anywhere', async () => {
    const before = (await db.query(`SELECT id FROM dpa`)).length;
    const res = await postDpaForm(gw, '00000000-0000-4000-8000-000000000000', fields(), { bytes: TINY_PDF });
    expect(res.status).toBe(404);
    expect((await db.query(`SELECT id FROM dpa`)).length).toBe(before);
  });

  it('still takes the fields alone as JSON: a signed version without its document is incomplete', async () => {
    const res = await gw.api(`/v1/vendors/${vendorId}/dpas`, { method: 'POST', json: fields() });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({
      valid: false,
      effective_status: 'incomplete',
      incomplete: ['document'],
      document: null,
    });
  });

  it('refuses a form sent to another route with 415', async () => {
    const res = await gw.api('/v1/vendors', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=b0' },
      body: Buffer.from('--b0--\r\n'),
    });
    expect(res.status).toBe(415);
  });
});
