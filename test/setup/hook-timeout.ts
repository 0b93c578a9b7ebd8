/**
 * Jest gives hooks the test timeout (60 s); starting an app or a simulator in a hook may take longer on a
 * loaded machine, so hooks default to 120 s unless they name their own.
 */
const HOOK_TIMEOUT_MS = 120_000;

type Hook = (fn: jest.ProvidesHookCallback, timeout?: number) => void;
const hooks = globalThis as unknown as Record<'beforeAll' | 'afterAll' | 'beforeEach' | 'afterEach', Hook>;

for (const name of ['beforeAll', 'afterAll', 'beforeEach', 'afterEach'] as const) {
  const original = hooks[name];
  hooks[name] = (fn, timeout = HOOK_TIMEOUT_MS) => original(fn, timeout);
}
