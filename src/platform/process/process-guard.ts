import { isDatabaseUnavailable } from '../database/database-unavailable';

export type GuardLog = (entry: { kind: string; databaseUnavailable: boolean; err: object }) => void;

let hits = 0;
let installed: { rejection: (reason: unknown) => void; exception: (error: Error) => void } | null = null;

/** How often the guard caught something since the process started (the e2e proves it stays 0). */
export function processGuardHits(): number {
  return hits;
}

function describe(reason: unknown): object {
  // Name, message and stack only: an error's other fields may carry a query's parameters (personal data).
  if (reason instanceof Error) return { name: reason.name, message: reason.message, stack: reason.stack };
  return { value: typeof reason };
}

/**
 * The last resort against a rejection or exception nobody handled: Node's default is to exit, which turns
 * one missed error into an outage (every later webhook refused until someone restarts the service). The
 * guard logs it with what it was and keeps serving. Every error that can be foreseen (a database restart,
 * a failover) is handled where it arises; a hit here is a bug to fix, counted in
 * cg_process_guard_hits_total so an operator can alert on it.
 */
export function installProcessGuard(log: GuardLog): void {
  if (installed) return;
  const record = (kind: string, reason: unknown) => {
    hits++;
    try {
      log({ kind, databaseUnavailable: isDatabaseUnavailable(reason), err: describe(reason) });
    } catch {
      // A logger that throws must not turn the guard into the crash it prevents.
    }
  };
  installed = {
    rejection: (reason) => record('unhandledRejection', reason),
    exception: (error) => record('uncaughtException', error),
  };
  process.on('unhandledRejection', installed.rejection);
  process.on('uncaughtException', installed.exception);
}

/** For tests: removes the guard and forgets its count. */
export function uninstallProcessGuard(): void {
  if (!installed) return;
  process.removeListener('unhandledRejection', installed.rejection);
  process.removeListener('uncaughtException', installed.exception);
  installed = null;
  hits = 0;
}

/** A guard log line for processes without a Nest logger yet: one JSON line on stderr. */
export const stderrGuardLog: GuardLog = (entry) =>
  process.stderr.write(
    `${JSON.stringify({ level: 'error', msg: 'process guard: an error nobody handled', ...entry })}\n`,
  );
