// pg-boss's Manager is not exported by name; its file is the package's own (pg-boss 10, CommonJS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Manager = require('pg-boss/src/manager') as {
  prototype: Record<string, (...args: unknown[]) => Promise<unknown>> & {
    emit(event: string, error: unknown): void;
  };
};

let patched = false;

/**
 * pg-boss 10's worker completes or fails each fetched batch without awaiting it (`this.fail(name, ids, err)`
 * in Manager.watch): when the database goes away between the handler and that call, the rejection (57P03
 * "the database system is shutting down") has no handler and Node exits. This observes every completion's
 * promise and reports a failure as the queue's `error` event instead; a caller that awaits the promise still
 * sees the rejection. A job whose completion was lost stays active until its expiry and is then retried,
 * which the gateway's handlers are built for (they are idempotent).
 */
export function observePgBossCompletions(): void {
  if (patched) return;
  patched = true;
  for (const name of ['complete', 'fail']) {
    const original = Manager.prototype[name];
    Manager.prototype[name] = function observed(this: typeof Manager.prototype, ...args: unknown[]) {
      const result = original.apply(this, args);
      result.catch((error: unknown) => this.emit('error', error));
      return result;
    };
  }
}
