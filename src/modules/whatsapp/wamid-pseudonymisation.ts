import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { LedgerRewrites, type RewriteReport } from '../ledger';
import { pseudonymisedLegacyEvent } from './wamid-pseudonym';

/** The rewrite migration 1767000700000 asks for. */
export const WAMID_REWRITE = 'whatsapp-wamid-pseudonyms';

/**
 * Pseudonymises the wamids of WhatsApp events recorded before this version (keys and clear evidence). A worker runs
 * it at start while the migration's request is pending (once done, a start costs one lookup);
 * `npm run cli -- pii:pseudonymise-wamids` runs it by hand. Idempotent either way.
 */
@Injectable()
export class WamidPseudonymisation implements OnApplicationBootstrap {
  constructor(
    private readonly rewrites: LedgerRewrites,
    private readonly crypto: CryptoService,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  // Awaited before the process serves or drains anything, so replays after the upgrade find the rewritten keys.
  async onApplicationBootstrap(): Promise<void> {
    if (this.roles.worker && (await this.rewrites.isPending(WAMID_REWRITE))) await this.run();
  }

  run(): Promise<RewriteReport> {
    return this.rewrites.run(WAMID_REWRITE, 'whatsapp', (event) =>
      pseudonymisedLegacyEvent(this.crypto, event),
    );
  }
}
