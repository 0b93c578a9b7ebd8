import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../src/config/app-config';
import { InboxService } from '../../src/modules/inbox';
import {
  ConsentBatchRecorder,
  LedgerService,
  SubjectRequestIntake,
  type IncomingSubjectRequest,
} from '../../src/modules/ledger';
import { WhatsAppInboxHandler } from '../../src/modules/whatsapp/whatsapp-inbox.handler';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import { MetricsService } from '../../src/platform/metrics/metrics.service';
import { startTestContext, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { textWebhook } from '../support/whatsapp';

/** Records what it is handed, in the handler's transaction, instead of filing requests. */
class RecordingIntake extends SubjectRequestIntake {
  readonly received: { request: IncomingSubjectRequest; inTransaction: boolean }[] = [];
  receive(manager: EntityManager, request: IncomingSubjectRequest): Promise<{ requestId: string }> {
    this.received.push({ request, inTransaction: manager.queryRunner?.isTransactionActive === true });
    return Promise.resolve({ requestId: randomUUID() });
  }
}

/** WhatsApp request keywords reach SubjectRequestIntake (a fake here, given to the handler by its constructor). */
describe(WhatsAppInboxHandler.name, () => {
  let db: TestDatabase;
  let config: AppConfig;
  let ctx: INestApplicationContext;
  let intake: RecordingIntake;
  let handler: WhatsAppInboxHandler;
  let ledger: LedgerService;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    ctx = await startTestContext(db.url, config);
    ledger = ctx.get(LedgerService);
    intake = new RecordingIntake();
    handler = new WhatsAppInboxHandler(
      ctx.get(InboxService),
      ledger,
      ctx.get(ConsentBatchRecorder),
      ctx.get(MetricsService),
      ctx.get(CryptoService),
      config,
      intake,
    );
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  beforeEach(() => intake.received.splice(0));

  /** Handles the body as a stored delivery (a row of its own: a consent event references its inbox row). */
  async function handle(body: string): Promise<{ summary: Record<string, number>; inboxId: string }> {
    const [{ id: inboxId }] = await db.query<{ id: string }>(
      `INSERT INTO inbox (provider, delivery_id, status) VALUES ('whatsapp', $1, 'pending') RETURNING id`,
      [randomUUID()],
    );
    const summary = await ledger.transaction((manager) =>
      handler.handle(manager, {
        id: inboxId,
        provider: 'whatsapp',
        deliveryId: randomBytes(8).toString('hex'),
        receivedAt: new Date(),
        rawBody: Buffer.from(body),
        digest: randomBytes(32).toString('hex'),
      }),
    );
    return { summary, inboxId };
  }

  it('hands a request keyword to the intake as a verified-origin request of the sender, in the transaction', async () => {
    const wamid = `wamid.${randomBytes(8).toString('hex')}`;
    const { summary, inboxId } = await handle(
      textWebhook({ wamid, from: '16315551181', body: 'Supprimer mes données !', timestamp: 1_765_000_000 }),
    );
    expect(summary).toEqual(expect.objectContaining({ subject_request: 1, no_consent_change: 1 }));
    expect(intake.received).toHaveLength(1);
    const [{ request, inTransaction }] = intake.received;
    expect(inTransaction).toBe(true);
    expect(request).toEqual({
      type: 'erasure',
      origin: 'whatsapp',
      dedupeKey: expect.stringMatching(new RegExp(`^whatsapp:${inboxId}:[0-9a-f]{32}$`)),
      subjectId: null,
      identities: [{ kind: 'wa_id', value: '16315551181' }],
      receivedAt: new Date(1_765_000_000_000),
      originConnectionId: null,
      originEvidence: {
        inbox_id: inboxId,
        keyword_language: 'fr',
        keyword: 'supprimer mes donnees',
        phone_number_id: '106540352242922',
      },
    });
    // The dedupe key carries the wamid's blind index, never the wamid.
    expect(request.dedupeKey).not.toContain(wamid);
  });

  it('gives the same message the same dedupe key when its delivery is processed again', async () => {
    const body = textWebhook({ wamid: 'wamid.replayed', body: 'meine Daten löschen' });
    const inboxId = randomUUID();
    const delivery = {
      id: inboxId,
      provider: 'whatsapp' as const,
      deliveryId: 'replay',
      receivedAt: new Date(),
      rawBody: Buffer.from(body),
      digest: randomBytes(32).toString('hex'),
    };
    await ledger.transaction((m) => handler.handle(m, delivery));
    await ledger.transaction((m) => handler.handle(m, delivery));
    const [first, second] = intake.received.map((r) => r.request.dedupeKey);
    expect(first).toBe(second);
  });

  it('hands nothing to the intake for a STOP, which stays a withdrawal', async () => {
    const { summary } = await handle(
      textWebhook({ wamid: `wamid.${randomBytes(6).toString('hex')}`, body: 'STOP' }),
    );
    expect(intake.received).toEqual([]);
    expect(summary).toEqual(expect.objectContaining({ opt_out: 1 }));
  });

  it('hands nothing to the intake for ordinary text that mentions the words', async () => {
    await handle(textWebhook({ wamid: 'wamid.chat', body: 'can you delete my data from the old order?' }));
    expect(intake.received).toEqual([]);
  });
});
