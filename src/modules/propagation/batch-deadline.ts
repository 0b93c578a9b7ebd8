import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A claimed batch's attempt at its vendor. Every vendor call is bounded (CONNECTOR_TIMEOUT_MS), but a batch makes
 * many calls, paced, and a lane waiting on one that never ends would hold its deliveries in progress, and the
 * connection's lease, for good. Past its deadline the batch is abandoned: its deliveries go back to be sent again,
 * and nothing the abandoned attempt finds later is recorded (it may still finish: connectors are idempotent).
 */
class BatchAttempt {
  abandoned = false;
}

const attempts = new AsyncLocalStorage<BatchAttempt>();

/** Whether the batch the caller works for was abandoned (its outcomes must not be recorded). */
export function batchAbandoned(): boolean {
  return attempts.getStore()?.abandoned ?? false;
}

export type DeadlineResult<T> = { done: true; value: T } | { done: false };

/** Runs a batch's work with a deadline; `done: false` when it outlived it (the work is then abandoned). */
export async function withBatchDeadline<T>(ms: number, work: () => Promise<T>): Promise<DeadlineResult<T>> {
  const attempt = new BatchAttempt();
  const running = attempts.run(attempt, work);
  // An abandoned attempt that fails later has nobody waiting for it.
  running.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<DeadlineResult<T>>((resolve) => {
    timer = setTimeout(() => {
      attempt.abandoned = true;
      resolve({ done: false });
    }, ms);
  });
  try {
    return await Promise.race([running.then((value) => ({ done: true as const, value })), overdue]);
  } finally {
    clearTimeout(timer);
  }
}
