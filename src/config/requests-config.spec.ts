import { join } from 'node:path';
import { buildRequestsConfig, loadRequestsConfig } from './requests-config';

describe(loadRequestsConfig.name, () => {
  it('loads the shipped config/requests.json with its defaults', () => {
    const config = loadRequestsConfig(join(__dirname, '../../config/requests.json'));
    expect(config).toEqual(
      expect.objectContaining({ inactiveMonths: 24, dueSoonDays: 7, taskReminderDays: 3 }),
    );
  });

  it('fails with the path when the file is missing', () => {
    expect(() => loadRequestsConfig('/nonexistent/requests.json')).toThrow(
      'Cannot read requests config /nonexistent/requests.json',
    );
  });
});

describe(buildRequestsConfig.name, () => {
  it('uses the defaults for what the file leaves out', () => {
    expect(buildRequestsConfig({})).toEqual({
      keywords: {},
      inactiveMonths: 24,
      dueSoonDays: 7,
      taskReminderDays: 3,
    });
  });

  it.each([
    [
      { retention: { inactive_months: 0 } },
      '"retention.inactive_months" must be a whole number from 1 to 1200',
    ],
    [{ due_soon_days: 2.5 }, '"due_soon_days" must be a whole number'],
    [{ task_reminder_days: '3' }, '"task_reminder_days" must be a whole number'],
    [
      { keywords: { rectification: { en: ['fix my number'] } } },
      '"keywords.rectification" is not a known key',
    ],
    [
      { keywords: { erasure: { nl: ['verwijder mijn gegevens'] } } },
      '"keywords.erasure.nl" is not a known key',
    ],
    [{ keywords: { erasure: { en: [''] } } }, '"keywords.erasure.en[0]" must be a non-empty string'],
    [{ retention_months: 24 }, '"retention_months" is not a known key'],
  ])('refuses %j, naming the key', (config, message) => {
    expect(() => buildRequestsConfig(config)).toThrow(message);
  });

  it('ignores keys that start with an underscore (comments)', () => {
    expect(
      buildRequestsConfig({ _comment: 'x', retention: { _comment: 'y', inactive_months: 12 } })
        .inactiveMonths,
    ).toBe(12);
  });
});
