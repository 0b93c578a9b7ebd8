import { DUMMY_HASH, hashPassword, validatePasswordStrength, verifyPassword } from './password';

describe(hashPassword.name, () => {
  it('stores the scheme and its parameters with a salt and the derived key', async () => {
    const stored = await hashPassword('correct horse battery');
    const [scheme, n, r, p, salt, key] = stored.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', '32768', '8', '1']);
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(key, 'base64')).toHaveLength(64);
  });

  it('never stores the password itself', async () => {
    expect(await hashPassword('correct horse battery')).not.toContain('correct horse battery');
  });

  it('salts each hash: the same password hashes differently twice', async () => {
    expect(await hashPassword('correct horse battery')).not.toBe(await hashPassword('correct horse battery'));
  });
});

describe(verifyPassword.name, () => {
  let stored = '';
  beforeAll(async () => {
    stored = await hashPassword('correct horse battery');
  });

  it('accepts the password the hash was made from', async () => {
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
  });

  it('rejects another password', async () => {
    expect(await verifyPassword('correct horse battery!', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('rejects a stored value of another scheme or cut short', async () => {
    expect(await verifyPassword('correct horse battery', stored.replace(/^scrypt/, 'bcrypt'))).toBe(false);
    expect(await verifyPassword('correct horse battery', stored.split('$').slice(0, 4).join('$'))).toBe(
      false,
    );
    expect(await verifyPassword('correct horse battery', '')).toBe(false);
  });

  it('rejects every password against the dummy hash used for unknown users', async () => {
    expect(await verifyPassword('', DUMMY_HASH)).toBe(false);
    expect(await verifyPassword('correct horse battery', DUMMY_HASH)).toBe(false);
  });
});

describe(validatePasswordStrength.name, () => {
  it('rejects a password shorter than 12 characters', () => {
    expect(validatePasswordStrength('elevenchars')).toBe('must be at least 12 characters');
  });

  it('rejects a password longer than 256 characters', () => {
    expect(validatePasswordStrength('x'.repeat(257))).toBe('must be at most 256 characters');
  });

  it('accepts 12 to 256 characters', () => {
    expect(validatePasswordStrength('x'.repeat(12))).toBeNull();
    expect(validatePasswordStrength('x'.repeat(256))).toBeNull();
  });
});
