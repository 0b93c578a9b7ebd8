import type { KeyRotation } from './key-rotation';

type Print = (line: string) => void;

/** keys:status: rows per key id per column; exit code 0 when nothing is stale (old keys can be retired). */
export async function keysStatus(rotation: KeyRotation, print: Print): Promise<number> {
  const usage = await rotation.status();
  for (const u of usage)
    print(
      `${u.column.padEnd(50)} ${u.keyId.padEnd(16)} ${String(u.rows).padStart(9)}${u.stale ? '  stale' : ''}`,
    );
  const stale = usage.filter((u) => u.stale).reduce((n, u) => n + u.rows, 0);
  print(
    stale
      ? `${stale} rows still under an old key or unbound: run keys:rotate before retiring old keys.`
      : 'Every encrypted value is under the current key, bound to its row: previous keys can be retired.',
  );
  return stale ? 2 : 0;
}

/**
 * keys:rotate: re-seals (or with blindIndex, re-indexes) in batches, printing progress; then the status. Exit code
 * 0 when nothing is left, 2 when some rows did not open (listed by row id: look at them, then run it again).
 */
export async function keysRotate(
  rotation: KeyRotation,
  options: { blindIndex: boolean; batch: number; print: Print },
): Promise<number> {
  const { print, batch } = options;
  if (options.blindIndex) {
    const unreadable = await rotation.reindex(print, batch);
    print(
      unreadable
        ? `${unreadable} rows did not open and keep their old index.`
        : 'Every blind index that has its value beside it is under the current key. Keep the previous blind-index ' +
            'keys configured while suppression entries made under them must still hold (see the docs).',
    );
    return unreadable ? 2 : 0;
  }
  const left = await rotation.rotate(print, batch);
  const code = await keysStatus(rotation, print);
  return left ? 2 : code;
}
