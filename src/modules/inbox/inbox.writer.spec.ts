import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { InboxUnavailableError } from './inbox.errors';
import type { InboxRepository } from './inbox.repository';
import { InboxWriter } from './inbox.writer';

const crypto = new CryptoService({
  crypto: { encryptionKey: randomBytes(32), previousEncryptionKeys: [], blindIndexKey: randomBytes(32) },
} as unknown as AppConfig);

/** The group commit's queue is bounded: a store that does not keep up is answered 503, never buffered without end. */
describe('InboxWriter back-pressure', () => {
  it('refuses new deliveries with a retryable 503 once too many wait for a commit that does not come', async () => {
    // A database that never answers: every commit stays in flight.
    const stalled = { storeBatch: () => new Promise<never>(() => undefined) } as unknown as InboxRepository;
    const writer = new InboxWriter(stalled, crypto);
    const delivery = (i: number) => ({
      provider: 'whatsapp' as const,
      deliveryId: `d${i}`,
      rawBody: Buffer.from('{}'),
      signature: null,
    });

    let refused: unknown = null;
    for (let i = 0; i < 20_000 && !refused; i++) {
      writer.append(delivery(i)).catch((error: unknown) => (refused ??= error));
      await Promise.resolve();
    }

    expect(refused).toBeInstanceOf(InboxUnavailableError);
    expect((refused as InboxUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
  });
});
