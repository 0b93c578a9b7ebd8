import {
  MASKED_EMAIL,
  MASKED_PHONE,
  MASKED_WAMID,
  scrubbedText,
  scrubPersonalData,
} from './personal-data-scrubber';

describe(scrubPersonalData.name, () => {
  describe('masks phone numbers as people type them', () => {
    it.each([
      ['E.164', '+16505551234'],
      ['digits only, as WhatsApp sends them', '16505551234'],
      ['00 international prefix', '004915123456789'],
      ['spaces', '+49 151 23456789'],
      ['dashes', '650-555-1234'],
      ['dots (French style)', '01.23.45.67.89'],
      ['parentheses around the area code', '(650) 555-1234'],
      ['country code and parentheses', '+1 (650) 555-1234'],
      ['a "(0)" trunk digit', '+44 (0)20 7946 0958'],
      ['a slash (German style)', '0151/2345678'],
      ['slash with spaces', '030 / 123 456 78'],
      ['non-breaking spaces', '+33\u00A06\u00A012\u00A034\u00A056\u00A078'],
      ['URL-encoded plus', '%2B16505551234'],
      ['URL-encoded spaces', '+49%20151%2023456789'],
      ['a national number of 7 digits', '5551234'],
    ])('%s: %s', (_form, phone) => {
      const scrubbed = scrubPersonalData(`Property values were not valid: phone "${phone}" is taken`);
      expect(scrubbed).toBe(`Property values were not valid: phone "${MASKED_PHONE}" is taken`);
    });

    it('masks every number in a text, wherever it stands', () => {
      const text = 'tel:+16505551234,phone=4915123456789;fax=(030)1234567.';
      expect(scrubPersonalData(text)).toBe(`tel:${MASKED_PHONE},phone=${MASKED_PHONE};fax=${MASKED_PHONE}.`);
    });

    it('masks numbers inside JSON error bodies a vendor echoes', () => {
      const body = JSON.stringify({ status: 'error', message: 'Invalid phone', value: '+14155550123' });
      expect(scrubPersonalData(body)).toBe(
        JSON.stringify({ status: 'error', message: 'Invalid phone', value: MASKED_PHONE }),
      );
    });
  });

  describe('masks emails', () => {
    it.each([
      'jane@example.com',
      'Jane.Doe+crm@mail.example.co.uk',
      "o'brien@example.ie",
      'jane%40example.com',
      'JANE_DOE-1@EXAMPLE.ORG',
    ])('%s', (email) => {
      expect(scrubPersonalData(`Contact already exists: ${email} (409)`)).toBe(
        `Contact already exists: ${MASKED_EMAIL} (409)`,
      );
    });
  });

  it('masks WhatsApp message ids, which base64-encode the number', () => {
    expect(
      scrubPersonalData(
        'unknown message wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA= here',
      ),
    ).toBe(`unknown message ${MASKED_WAMID} here`);
  });

  describe('keeps what is not personal', () => {
    it.each([
      ['HTTP status codes', 'Request failed with status code 429'],
      ["Meta's error codes", 'error 131050: marketing opt-out'],
      ['short numbers, counts and durations', 'gave up after 12 attempts in 30000 ms on port 4010'],
      ['six digits', 'ticket 123456'],
      [
        'UUIDs (correlation ids), even all-digit segments',
        'correlationId 12345678-1234-4234-8234-123456789012',
      ],
      ['ISO dates and times', 'retry after 2026-12-06T11:01:19.123Z (2026-12-06)'],
      ['IPv4 addresses', 'connect ECONNREFUSED 192.168.100.200:443'],
      ['ids with letters in them', 'record 0035e00000ABCdefAAA and hs_abc123456789 and 123456789abc'],
      ['version numbers', 'api v59.0, client 13.5.0'],
    ])('%s', (_what, text) => {
      expect(scrubPersonalData(text)).toBe(text);
    });
  });

  it('masks stand-alone numeric record ids of 7 digits or more too (the documented trade-off)', () => {
    expect(scrubPersonalData('Object 51234567890 not found')).toBe(`Object ${MASKED_PHONE} not found`);
  });

  it('answers an empty text with an empty text', () => {
    expect(scrubPersonalData('')).toBe('');
  });
});

describe(scrubbedText.name, () => {
  it('cuts to the column length after scrubbing', () => {
    expect(scrubbedText('call +16505551234 now', 10)).toBe(`call ${MASKED_PHONE}`.slice(0, 10));
  });

  it('masks a number that crosses the cut instead of keeping its first digits', () => {
    const text = `${'x'.repeat(8)} +16505551234`;
    expect(scrubbedText(text, 14)).toBe(`${'x'.repeat(8)} ${MASKED_PHONE}`.slice(0, 14));
    expect(scrubbedText(text, 14)).not.toMatch(/\d/);
  });

  it('bounds the work on a huge text', () => {
    const huge = `jane@example.com ${'a'.repeat(5_000_000)}`;
    expect(scrubbedText(huge, 100)).toBe(`${MASKED_EMAIL} ${'a'.repeat(100 - MASKED_EMAIL.length - 1)}`);
  });
});
