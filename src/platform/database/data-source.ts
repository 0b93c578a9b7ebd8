import { DataSource } from 'typeorm';
import { InitialLedger1764400000000 } from './migrations/1764400000000-initial-ledger';
import { ConnectionsPropagation1764500000000 } from './migrations/1764500000000-connections-propagation';
import { Registry1764600000000 } from './migrations/1764600000000-registry';
import { ConsoleAuthAudit1764600001000 } from './migrations/1764600001000-console-auth-audit';
import { CrmRecords1765000000000 } from './migrations/1765000000000-crm-records';
import { SubjectMerge1765000001000 } from './migrations/1765000001000-subject-merge';
import { SubjectKeysErasure1766000000000 } from './migrations/1766000000000-subject-keys-erasure';
import { RequestDeliveries1766000001000 } from './migrations/1766000001000-request-deliveries';
import { DataSubjectRequests1766000002000 } from './migrations/1766000002000-data-subject-requests';
import { EventSubscriptions1766000003000 } from './migrations/1766000003000-event-subscriptions';
import { SigninLockoutSessions1767000200000 } from './migrations/1767000200000-signin-lockout-sessions';
import { OAuthStateNonce1767000300000 } from './migrations/1767000300000-oauth-state-nonce';
import { AuditKeyedChain1767000500000 } from './migrations/1767000500000-audit-keyed-chain';
import { RekeyConsentEvidence1767000600000 } from './migrations/1767000600000-rekey-consent-evidence';
import { LedgerRewrites1767000700000 } from './migrations/1767000700000-ledger-rewrites';
import { VendorArchive1767001100000 } from './migrations/1767001100000-vendor-archive';
import { BackfillTotal1767001200000 } from './migrations/1767001200000-backfill-total';
import { ConsoleReadIndexes1767001300000 } from './migrations/1767001300000-console-read-indexes';
import { ConsoleAdmin1767001400000 } from './migrations/1767001400000-console-admin';
import { DpaMissingIndex1767001500000 } from './migrations/1767001500000-dpa-missing-index';
import { Relay1767002000000 } from './migrations/1767002000000-relay';
import { InboxQueue1767002100000 } from './migrations/1767002100000-inbox-queue';
import { SuppressionNotify1767003000000 } from './migrations/1767003000000-suppression-notify';

/** Every migration, in order. Schema changes only happen through these (synchronize is off). */
export const MIGRATIONS = [
  InitialLedger1764400000000,
  ConnectionsPropagation1764500000000,
  Registry1764600000000,
  ConsoleAuthAudit1764600001000,
  CrmRecords1765000000000,
  SubjectMerge1765000001000,
  SubjectKeysErasure1766000000000,
  RequestDeliveries1766000001000,
  DataSubjectRequests1766000002000,
  EventSubscriptions1766000003000,
  SigninLockoutSessions1767000200000,
  OAuthStateNonce1767000300000,
  AuditKeyedChain1767000500000,
  RekeyConsentEvidence1767000600000,
  LedgerRewrites1767000700000,
  VendorArchive1767001100000,
  BackfillTotal1767001200000,
  ConsoleReadIndexes1767001300000,
  ConsoleAdmin1767001400000,
  DpaMissingIndex1767001500000,
  Relay1767002000000,
  InboxQueue1767002100000,
  SuppressionNotify1767003000000,
];

export function createDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    entities: [],
    extra: { max: poolSize },
    logging: false,
  });
}

/** Applies pending migrations; safe to run from several processes (TypeORM takes a lock per migration table). */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = createDataSource(url, 2);
  await dataSource.initialize();
  try {
    // Serialise concurrent starts (API and worker booting together) on one advisory lock.
    await dataSource.query('SELECT pg_advisory_lock(74201)');
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.query('SELECT pg_advisory_unlock(74201)');
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
