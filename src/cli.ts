import 'reflect-metadata';
import { loadConfig } from './config/app-config';
import { createWorkerContext, describeStartFailure, openDatabase } from './bootstrap';
import { runMigrations } from './platform/database/data-source';
import { ApiKeyService } from './modules/auth';
import { isScope, SCOPES, type Scope } from './platform/http/scopes';
import { InboxService } from './modules/inbox';
import { UserService } from './modules/auth';
import { WamidPseudonymisation } from './modules/whatsapp';
import { randomBytes } from 'node:crypto';
import { KeyRotation } from './platform/crypto/key-rotation';
import { keysStatus, keysRotate } from './platform/crypto/keys-commands';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                   apply pending database migrations
  api-keys:create --name N --scopes a,b     create an API key and print it once (scopes: ${SCOPES.join(', ')})
  api-keys:list                             list API keys (never the keys themselves)
  api-keys:revoke --id ID                   revoke an API key
  inbox:replay [--provider whatsapp]        process stored webhook deliveries again
  users:create --email E --name N --role R [--password P]
                                            create a console user (roles: admin, crm_admin, dpo, viewer);
                                            without --password one is generated and printed once
  users:list                                list console users
  keys:status                               rows per key id of every encrypted column (stale: to re-seal)
  keys:rotate [--batch N]                   re-seal every encrypted column under ENCRYPTION_KEY, bound to its
                                            row (old keys in PREVIOUS_ENCRYPTION_KEYS); resumable, idempotent
  keys:rotate --blind-index [--batch N]     re-index every blind index under BLIND_INDEX_KEY (old keys in
                                            PREVIOUS_BLIND_INDEX_KEYS)
  pii:pseudonymise-wamids                   rewrite WhatsApp events recorded before wamids were pseudonymised
                                            (idempotent; a worker also does it once at its first start)
`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    if (command === 'migrate') {
      const applied = await runMigrations(database.url);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Schema is up to date\n');
      return 0;
    }
    const app = await createWorkerContext({
      config,
      databaseUrl: database.url,
      roles: { api: false, worker: false },
    });
    try {
      switch (command) {
        case 'api-keys:create': {
          const name = option(args, 'name');
          const scopes = (option(args, 'scopes') ?? '').split(',').filter(Boolean);
          const bad = scopes.filter((s) => !isScope(s));
          if (!name || scopes.length === 0 || bad.length) {
            process.stderr.write(bad.length ? `Unknown scope: ${bad.join(', ')}\n` : USAGE);
            return 1;
          }
          const key = await app.get(ApiKeyService).create(name, scopes as Scope[], 'cli');
          process.stdout.write(
            `${JSON.stringify(key, null, 2)}\nStore the key now: it is not shown again.\n`,
          );
          return 0;
        }
        case 'api-keys:list':
          process.stdout.write(`${JSON.stringify(await app.get(ApiKeyService).list(), null, 2)}\n`);
          return 0;
        case 'api-keys:revoke': {
          const id = option(args, 'id');
          if (!id) {
            process.stderr.write(USAGE);
            return 1;
          }
          process.stdout.write(`${JSON.stringify(await app.get(ApiKeyService).revoke(id), null, 2)}\n`);
          return 0;
        }
        case 'inbox:replay': {
          const provider = option(args, 'provider');
          if (provider !== undefined && provider !== 'whatsapp' && provider !== 'hubspot') {
            process.stderr.write('--provider must be whatsapp or hubspot\n');
            return 1;
          }
          const queued = await app.get(InboxService).replay({ provider });
          process.stdout.write(`Queued ${queued} deliveries; a running worker processes them.\n`);
          return 0;
        }
        case 'users:create': {
          const email = option(args, 'email');
          const name = option(args, 'name') ?? email;
          const role = option(args, 'role');
          if (!email || !name || !role) {
            process.stderr.write(USAGE);
            return 1;
          }
          const generated = option(args, 'password') === undefined;
          const password = option(args, 'password') ?? randomBytes(18).toString('base64url');
          const user = await app.get(UserService).create({ email, name, role, password });
          process.stdout.write(`${JSON.stringify(user, null, 2)}\n`);
          if (generated) process.stdout.write(`Password (shown once): ${password}\n`);
          return 0;
        }
        case 'pii:pseudonymise-wamids': {
          const report = await app.get(WamidPseudonymisation).run();
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return 0;
        }
        case 'users:list':
          process.stdout.write(`${JSON.stringify(await app.get(UserService).list(), null, 2)}\n`);
          return 0;
        case 'keys:status':
          return await keysStatus(app.get(KeyRotation), (line) => process.stdout.write(`${line}\n`));
        case 'keys:rotate': {
          const batch = Number(option(args, 'batch') ?? 500);
          if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) {
            process.stderr.write('--batch must be a whole number from 1 to 10000\n');
            return 1;
          }
          // Evidence is bound to its event's source_event_id once re-sealed: pseudonymise old wamids first, so
          // that the rewrite never changes the id of evidence already bound to it.
          await app.get(WamidPseudonymisation).run();
          return await keysRotate(app.get(KeyRotation), {
            blindIndex: args.includes('--blind-index'),
            batch,
            print: (line) => process.stdout.write(`${line}\n`),
          });
        }
        default:
          process.stderr.write(`Unknown command: ${command}\n${USAGE}`);
          return 1;
      }
    } finally {
      await app.close();
    }
  } finally {
    await database.embedded?.stop();
  }
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(
      `${describeStartFailure(error, undefined, `${process.argv[2] ?? 'The command'} failed`)}\n`,
    );
    process.exit(1);
  });
