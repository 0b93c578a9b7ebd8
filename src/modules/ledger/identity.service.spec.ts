import { randomBytes } from 'node:crypto';
import { getCountries, getExampleNumber } from 'libphonenumber-js';
import examples from 'libphonenumber-js/examples.mobile.json';
import type { AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { IdentityService } from './identity.service';
import { normalisePhone } from './phone-number';

const crypto = () =>
  new CryptoService({
    crypto: {
      encryptionKey: randomBytes(32),
      previousEncryptionKeys: [],
      previousBlindIndexKeys: [],
      blindIndexKey: randomBytes(32),
    },
  } as unknown as AppConfig);

describe('IdentityService.lookupKey', () => {
  it('finds a known phone in E.164 under the same key as by normalising it, and remembers it', () => {
    const service = new IdentityService(crypto());
    const normalised = service.lookupKey('phone', '+33 6 10 00 00 01');
    expect(normalised?.normalised).toBe('+33610000001');
    const asked: string[] = [];
    const known = (key: string) => (asked.push(key), key === normalised?.key);
    expect(service.lookupKey('phone', '+33610000001', known)).toEqual(normalised);
    expect(asked).toEqual([normalised?.key]);
    expect(service.lookupKey('phone', '+33610000001', known)).toEqual(normalised);
    expect(asked).toHaveLength(1);
  });

  it('normalises a phone nobody is known by, as without the projection', () => {
    const service = new IdentityService(crypto());
    const nobody = () => false;
    const reference = new IdentityService(crypto());
    expect(service.lookupKey('phone', '+12', nobody)).toBeNull();
    const e164 = service.lookupKey('phone', '+16505551234', nobody);
    expect(e164?.normalised).toBe('+16505551234');
    expect(e164?.key).toBe(service.lookupKey('phone', '+1 650 555 1234')?.key);
    expect(e164?.key).not.toBe(reference.lookupKey('phone', '+16505551234')?.key);
  });

  // Why the parse may be skipped: a stored phone is libphonenumber's E.164 output, which normalises to itself.
  it.each(getCountries())('keeps a valid E.164 number of %s as it is when normalising it', (country) => {
    const number = getExampleNumber(country, examples)?.number;
    if (number) expect(normalisePhone(number)).toBe(number);
  });
});
