import { batchAbandoned, withBatchDeadline } from './batch-deadline';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a batch with a deadline', () => {
  it('gives the work its value when it ends in time, and the work is not abandoned', async () => {
    let abandonedInside: boolean | null = null;
    const result = await withBatchDeadline(1_000, async () => {
      await later(5);
      abandonedInside = batchAbandoned();
      return 42;
    });
    expect(result).toEqual({ done: true, value: 42 });
    expect(abandonedInside).toBe(false);
  });

  it('answers not done when the work outlives it, and the work then sees itself abandoned', async () => {
    let seenLater: boolean | null = null;
    const work = async () => {
      await later(60);
      seenLater = batchAbandoned();
    };
    expect(await withBatchDeadline(10, work)).toEqual({ done: false });
    await later(100);
    expect(seenLater).toBe(true);
  });

  it('passes on a failure that comes in time, and swallows one that comes after the deadline', async () => {
    await expect(
      withBatchDeadline(1_000, async () => {
        throw new Error('recording failed');
      }),
    ).rejects.toThrow('recording failed');
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const result = await withBatchDeadline(5, async () => {
        await later(30);
        throw new Error('too late');
      });
      expect(result).toEqual({ done: false });
      await later(60);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('keeps each batch its own: one abandoned attempt does not mark another', async () => {
    const seen: Record<string, boolean> = {};
    await Promise.all([
      withBatchDeadline(5, async () => {
        await later(40);
        seen.slow = batchAbandoned();
      }),
      withBatchDeadline(1_000, async () => {
        await later(40);
        seen.fast = batchAbandoned();
      }),
    ]);
    await later(20);
    expect(seen).toEqual({ slow: true, fast: false });
  });
});
