import { UnheldKeys } from './unheld-keys';

const PHONE = 'phone:current';
const PREVIOUS = 'phone:previous';

describe(UnheldKeys.name, () => {
  const loaded = (suppressed: string[] = [], limits = { unsure: 3, suppressed: 2 }) => {
    const gaveUp: string[] = [];
    const keys = new UnheldKeys({ kinds: ['phone', 'email'], ...limits }, (reason) => gaveUp.push(reason));
    keys.begin();
    keys.loadSuppressions(suppressed);
    keys.finish(true);
    return { keys, gaveUp };
  };

  it('answers nobody once a whole load finished, and nothing before or after a truncated one', () => {
    const keys = new UnheldKeys({ kinds: ['phone'], unsure: 3, suppressed: 2 });
    expect(keys.answer([PHONE])).toBeUndefined();
    keys.begin();
    keys.loadSuppressions([]);
    expect(keys.answer([PHONE])).toBeUndefined();
    keys.finish(false);
    expect(keys.answer([PHONE])).toBeUndefined();
    expect(loaded().keys.answer([PHONE])).toBe('nobody');
  });

  it('answers suppressed for a key on the list, under the current or a previous blind-index key', () => {
    expect(loaded([PHONE]).keys.answer([PHONE])).toBe('suppressed');
    expect(loaded([PREVIOUS]).keys.answer([PHONE, PREVIOUS])).toBe('suppressed');
  });

  it('reads a changed key until a read says what it is now', () => {
    const { keys } = loaded([PREVIOUS]);
    keys.changed([PREVIOUS]);
    expect(keys.answer([PHONE, PREVIOUS])).toBeUndefined();

    keys.read([PHONE, PREVIOUS], 'nobody');

    expect(keys.answer([PHONE, PREVIOUS])).toBe('nobody');
    keys.changed([PHONE]);
    keys.read([PHONE], 'suppressed');
    expect(keys.answer([PHONE])).toBe('suppressed');
  });

  it('keeps a key changed while the list was being read unsure, whatever a read said meanwhile', () => {
    const keys = new UnheldKeys({ kinds: ['phone'], unsure: 3, suppressed: 2 });
    keys.begin();
    keys.changed([PHONE]);
    keys.read([PHONE], 'nobody');
    keys.loadSuppressions([PHONE]);
    keys.finish(true);
    expect(keys.answer([PHONE])).toBeUndefined();
  });

  it('tracks keys changed while the load runs (its snapshot may predate them)', () => {
    const keys = new UnheldKeys({ kinds: ['phone'], unsure: 3, suppressed: 2 });
    keys.changed([PHONE]);
    keys.begin();
    keys.changed(['phone:during']);
    keys.loadSuppressions([]);
    keys.finish(true);
    expect(keys.answer([PHONE])).toBe('nobody');
    expect(keys.answer(['phone:during'])).toBeUndefined();
  });

  it('does not track kinds a check never names (a wa_id is never looked up)', () => {
    const { keys } = loaded([], { unsure: 1, suppressed: 2 });
    keys.changed(['wa_id:a', 'wa_id:b', 'hubspot_id:c']);
    expect(keys.status).toEqual({ complete: true, unsure: 0, suppressed: 0 });
  });

  it('stops answering, and says why, when a limit is passed', () => {
    const tooManyChanged = loaded();
    tooManyChanged.keys.changed(['phone:1', 'phone:2', 'phone:3', 'phone:4']);
    expect(tooManyChanged.keys.answer([PHONE])).toBeUndefined();
    expect(tooManyChanged.gaveUp).toEqual(['too many changed keys not read again']);

    const longList = loaded(['phone:1', 'phone:2', 'phone:3']);
    expect(longList.keys.answer([PHONE])).toBeUndefined();
    expect(longList.gaveUp).toEqual(['suppression list too long']);

    const grown = loaded(['phone:1', 'phone:2']);
    grown.keys.read([PHONE], 'suppressed');
    expect(grown.keys.answer(['phone:1'])).toBeUndefined();
    expect(grown.gaveUp).toEqual(['suppression list too long']);
  });

  it('forgets everything when reset (the LISTEN connection was lost)', () => {
    const { keys } = loaded([PHONE]);
    keys.reset();
    expect(keys.answer([PHONE])).toBeUndefined();
    expect(keys.status).toEqual({ complete: false, unsure: 0, suppressed: 0 });
  });
});
