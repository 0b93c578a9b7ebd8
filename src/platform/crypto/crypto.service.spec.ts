import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../config/app-config';
import {
  CryptoService,
  isBoundKeyId,
  keyIdOf,
  markKeyId,
  sealedAt,
  UnreadableCiphertextError,
  type Sealed,
} from './crypto.service';

const newKey = () => randomBytes(32).toString('base64');

/** A CryptoService as configured from the environment (all secrets given, so nothing is written). */
function cryptoWith(
  keys: {
    encryptionKey?: string;
    previousKeys?: string[];
    blindIndexKey?: string;
    previousBlindIndexKeys?: string[];
  } = {},
) {
  return new CryptoService(
    loadConfig({
      NODE_ENV: 'test',
      WHATSAPP_APP_SECRET: 'unit-app-secret',
      WHATSAPP_VERIFY_TOKEN: 'unit-verify-token',
      ENCRYPTION_KEY: keys.encryptionKey ?? newKey(),
      PREVIOUS_ENCRYPTION_KEYS: (keys.previousKeys ?? []).join(','),
      BLIND_INDEX_KEY: keys.blindIndexKey ?? newKey(),
      PREVIOUS_BLIND_INDEX_KEYS: (keys.previousBlindIndexKeys ?? []).join(','),
    }),
  );
}

/** A copy of the ciphertext with one byte flipped at `index` (negative counts from the end). */
function flipByte(sealed: Sealed, index: number): Sealed {
  const ciphertext = Buffer.from(sealed.ciphertext);
  const at = index < 0 ? ciphertext.length + index : index;
  ciphertext[at] ^= 0x01;
  return { ...sealed, ciphertext };
}

describe(CryptoService.name, () => {
  describe('seal and open', () => {
    it('opens what it sealed', () => {
      const crypto = cryptoWith();
      expect(crypto.openText(crypto.seal('+16505551234'))).toBe('+16505551234');
    });

    it('round-trips binary data', () => {
      const crypto = cryptoWith();
      const data = randomBytes(1000);
      expect(crypto.open(crypto.seal(data)).equals(data)).toBe(true);
    });

    it('round-trips an empty value', () => {
      const crypto = cryptoWith();
      expect(crypto.openText(crypto.seal(''))).toBe('');
    });

    it('does not contain the plaintext in the ciphertext', () => {
      const sealed = cryptoWith().seal('jane.doe@example.com');
      expect(sealed.ciphertext.includes(Buffer.from('jane.doe@example.com'))).toBe(false);
    });

    it('seals the same plaintext differently each time', () => {
      const crypto = cryptoWith();
      expect(crypto.seal('same').ciphertext.equals(crypto.seal('same').ciphertext)).toBe(false);
    });

    it('never uses an IV twice, across the batches IVs are drawn in', () => {
      const crypto = cryptoWith();
      const ivs = Array.from({ length: 2000 }, () =>
        crypto.seal('same').ciphertext.subarray(0, 12).toString('hex'),
      );
      expect(new Set(ivs).size).toBe(ivs.length);
    });

    it('labels each ciphertext with the id of the current key', () => {
      const key = newKey();
      const sealed = cryptoWith({ encryptionKey: key }).seal('x');
      expect(sealed.keyId).toBe(keyIdOf(Buffer.from(key, 'base64')));
    });

    it.each([
      ['the iv', 0],
      ['the authentication tag', 12],
      ['the encrypted body', -1],
    ])('refuses a ciphertext with a byte of %s flipped', (_part, index) => {
      const crypto = cryptoWith();
      const sealed = crypto.seal('STOP please secret text');
      expect(() => crypto.open(flipByte(sealed, index))).toThrow();
    });

    it('refuses a ciphertext relabelled with the id of a key that did not seal it', () => {
      const sealed = cryptoWith().seal('secret');
      const other = cryptoWith();
      expect(() => other.open({ ...sealed, keyId: other.currentKeyId })).toThrow();
    });

    it('refuses a key id it has no key for, naming it', () => {
      const sealed = cryptoWith().seal('secret');
      expect(() => cryptoWith().open(sealed)).toThrow(sealed.keyId);
    });
  });

  describe('bound to row and column (associated data)', () => {
    const here = sealedAt('connection', 'credentials', '6c0e8a52-1d7b-4a53-9a36-0c8d9b7b1a01');
    const otherRow = sealedAt('connection', 'credentials', '0f3b1c55-6a0e-4e0c-8f50-2b9a8d4d7c02');
    const otherColumn = sealedAt('event_subscription', 'secret', '6c0e8a52-1d7b-4a53-9a36-0c8d9b7b1a01');

    it('opens in the place it was sealed for, and marks its key id as bound', () => {
      const crypto = cryptoWith();
      const sealed = crypto.seal('{"token":"t"}', here);
      expect(isBoundKeyId(sealed.keyId)).toBe(true);
      expect(crypto.openText(sealed, here)).toBe('{"token":"t"}');
    });

    it.each([
      ['another row', otherRow],
      ['another column', otherColumn],
    ])('does not open when copied to %s', (_where, aad) => {
      const crypto = cryptoWith();
      const sealed = crypto.seal('{"token":"t"}', here);
      expect(() => crypto.open(sealed, aad)).toThrow(UnreadableCiphertextError);
    });

    it('does not open when read with no place at all', () => {
      const crypto = cryptoWith();
      expect(() => crypto.open(crypto.seal('x', here))).toThrow(UnreadableCiphertextError);
    });

    it('does not open when its key id is relabelled as the old unbound format', () => {
      const crypto = cryptoWith();
      const sealed = crypto.seal('x', here);
      expect(() => crypto.open({ ...sealed, keyId: crypto.currentKeyId }, here)).toThrow(
        UnreadableCiphertextError,
      );
    });

    it('still opens a ciphertext from before binding (unmarked key id), wherever it is read', () => {
      const crypto = cryptoWith();
      const legacy = crypto.seal('+16505551234');
      expect(isBoundKeyId(legacy.keyId)).toBe(false);
      expect(crypto.openText(legacy, here)).toBe('+16505551234');
      expect(crypto.openText(legacy)).toBe('+16505551234');
    });

    it('binds data-key ciphertexts too (openMarked honours the key id format)', () => {
      const key = CryptoService.newDataKey();
      const sealed = {
        ciphertext: CryptoService.sealWith(key, 'jane@example.com', here),
        keyId: markKeyId('sk:p', here),
      };
      expect(CryptoService.openMarked(key, sealed, here).toString()).toBe('jane@example.com');
      expect(() => CryptoService.openMarked(key, sealed, otherRow)).toThrow(UnreadableCiphertextError);
      const legacy = { ciphertext: CryptoService.sealWith(key, 'jane@example.com'), keyId: 'sk:p' };
      expect(CryptoService.openMarked(key, legacy, here).toString()).toBe('jane@example.com');
    });

    it('does not name the value or the place in its error', () => {
      const crypto = cryptoWith();
      const sealed = crypto.seal('+16505551234', here);
      expect(() => crypto.open(sealed, otherRow)).toThrow(/^(?!.*(6505551234|0f3b1c55)).*$/);
    });

    it('tells the current bound format from anything keys:rotate must re-seal', () => {
      const oldKey = newKey();
      const old = cryptoWith({ encryptionKey: oldKey });
      const rotated = cryptoWith({ previousKeys: [oldKey] });
      expect(rotated.isCurrent(rotated.seal('x', here).keyId)).toBe(true);
      expect(rotated.isCurrent(rotated.seal('x').keyId)).toBe(false);
      expect(rotated.isCurrent(old.seal('x', here).keyId)).toBe(false);
    });
  });

  describe('key rotation', () => {
    it('opens ciphertexts of a previous key listed in PREVIOUS_ENCRYPTION_KEYS', () => {
      const oldKey = newKey();
      const sealed = cryptoWith({ encryptionKey: oldKey }).seal('+16505551234');
      const rotated = cryptoWith({ previousKeys: [newKey(), oldKey] });
      expect(rotated.openText(sealed)).toBe('+16505551234');
    });

    it('seals new values under the new key', () => {
      const oldKey = newKey();
      const rotated = cryptoWith({ previousKeys: [oldKey] });
      expect(rotated.seal('x').keyId).not.toBe(keyIdOf(Buffer.from(oldKey, 'base64')));
      expect(rotated.seal('x').keyId).toBe(rotated.currentKeyId);
    });
  });

  describe('data keys (sealWith, openWith)', () => {
    it('opens under a data key what was sealed under it', () => {
      const key = CryptoService.newDataKey();
      expect(CryptoService.openWith(key, CryptoService.sealWith(key, '+4915112345678')).toString()).toBe(
        '+4915112345678',
      );
    });

    it('refuses to open under another data key', () => {
      const sealed = CryptoService.sealWith(CryptoService.newDataKey(), 'jane@example.com');
      expect(() => CryptoService.openWith(CryptoService.newDataKey(), sealed)).toThrow();
    });

    it('makes a different 32-byte key each time', () => {
      const [a, b] = [CryptoService.newDataKey(), CryptoService.newDataKey()];
      expect(a).toHaveLength(32);
      expect(a.equals(b)).toBe(false);
    });

    it('wraps a data key under the master key so that a previous master key still unwraps it', () => {
      const old = newKey();
      const dataKey = CryptoService.newDataKey();
      const wrapped = cryptoWith({ encryptionKey: old }).seal(dataKey);
      const rotated = cryptoWith({ encryptionKey: newKey(), previousKeys: [old] });
      expect(rotated.open(wrapped).equals(dataKey)).toBe(true);
    });
  });

  describe('blindIndex', () => {
    it('is deterministic for the same key, namespace and value', () => {
      const blindIndexKey = newKey();
      const a = cryptoWith({ blindIndexKey }).blindIndex('phone', '+16505551234');
      const b = cryptoWith({ blindIndexKey }).blindIndex('phone', '+16505551234');
      expect(a.equals(b)).toBe(true);
    });

    it('does not change when the encryption key rotates', () => {
      const blindIndexKey = newKey();
      const before = cryptoWith({ blindIndexKey }).blindIndex('email', 'jane.doe@example.com');
      const after = cryptoWith({ blindIndexKey, previousKeys: [newKey()] }).blindIndex(
        'email',
        'jane.doe@example.com',
      );
      expect(after.equals(before)).toBe(true);
    });

    it('separates namespaces for the same value', () => {
      const crypto = cryptoWith();
      expect(
        crypto.blindIndex('phone', '16505551234').equals(crypto.blindIndex('wa_id', '16505551234')),
      ).toBe(false);
    });

    it('does not let the namespace and value run together', () => {
      const crypto = cryptoWith();
      expect(crypto.blindIndex('ab', 'c').equals(crypto.blindIndex('a', 'bc'))).toBe(false);
    });

    it('differs between blind index keys', () => {
      expect(cryptoWith().blindIndex('phone', '+1').equals(cryptoWith().blindIndex('phone', '+1'))).toBe(
        false,
      );
    });

    it('is a 32-byte HMAC that does not contain the value', () => {
      const index = cryptoWith().blindIndex('email', 'jane.doe@example.com');
      expect(index).toHaveLength(32);
      expect(index.includes(Buffer.from('jane.doe'))).toBe(false);
    });
  });

  describe('previousBlindIndexes (lookups under blind-index keys being retired)', () => {
    it('gives the index each previous key made, and none once they are retired', () => {
      const oldKey = newKey();
      const before = cryptoWith({ blindIndexKey: oldKey }).blindIndex('phone', '+16505551234');
      const rotated = cryptoWith({ previousBlindIndexKeys: [oldKey] });
      expect(rotated.blindIndex('phone', '+16505551234').equals(before)).toBe(false);
      expect(rotated.previousBlindIndexes('phone', '+16505551234')).toEqual([before]);
      expect(cryptoWith().previousBlindIndexes('phone', '+16505551234')).toEqual([]);
    });
  });

  describe(CryptoService.safeEqual.name, () => {
    it('is true for equal strings', () => {
      expect(CryptoService.safeEqual('sha256=abc', 'sha256=abc')).toBe(true);
    });

    it('is false for different strings of the same length', () => {
      expect(CryptoService.safeEqual('sha256=abc', 'sha256=abd')).toBe(false);
    });

    it('is false for strings of different lengths', () => {
      expect(CryptoService.safeEqual('abc', 'abcd')).toBe(false);
    });

    it('compares buffers', () => {
      expect(CryptoService.safeEqual(Buffer.from([1, 2]), Buffer.from([1, 2]))).toBe(true);
      expect(CryptoService.safeEqual(Buffer.from([1, 2]), Buffer.from([1, 3]))).toBe(false);
    });

    it('compares a string with a buffer by its UTF-8 bytes', () => {
      expect(CryptoService.safeEqual('é', Buffer.from('é', 'utf8'))).toBe(true);
    });
  });

  describe('sha256', () => {
    it('hashes as standard SHA-256', () => {
      expect(CryptoService.sha256Hex('abc')).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
      expect(CryptoService.sha256('abc').toString('hex')).toBe(CryptoService.sha256Hex('abc'));
    });
  });
});
