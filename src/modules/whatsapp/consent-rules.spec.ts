import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  buildConsentRules,
  loadConsentRules,
  matchButtonPayload,
  matchButtonText,
  matchKeyword,
  normaliseText,
  userPreferenceAction,
} from './consent-rules';

const CONFIG_PATH = join(__dirname, '../../../config/consent.json');
const rules = loadConsentRules(CONFIG_PATH);

type Json = Record<string, unknown>;

function validConfig(): Json {
  return {
    keywords: { opt_out: { en: ['stop'] }, opt_in: { en: ['start'] } },
    buttons: { opt_out: ['consent_stop'], opt_in: ['consent_start'] },
    user_preferences: { stop: 'opt_out', resume: 'opt_in' },
    purposes: ['marketing'],
  };
}

/** validConfig() with the value at a dotted path replaced (undefined deletes it). */
function configWith(path: string, value: unknown): Json {
  const config = validConfig();
  const keys = path.split('.');
  const last = keys.pop()!;
  let node = config;
  for (const key of keys) node = node[key] as Json;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return config;
}

describe(loadConsentRules.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'consent-rules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function writeConfig(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  it('loads the shipped config/consent.json', () => {
    expect(rules.purposes).toEqual(['marketing']);
    expect(rules.keywords.size).toBeGreaterThan(50);
  });

  it('ships every opt-out keyword the brief requires', () => {
    const required: Array<[string, string]> = [
      ['en', 'STOP'],
      ['en', 'STOPALL'],
      ['en', 'STOP ALL'],
      ['en', 'UNSUBSCRIBE'],
      ['en', 'CANCEL'],
      ['en', 'END'],
      ['en', 'QUIT'],
      ['en', 'OPTOUT'],
      ['en', 'OPT OUT'],
      ['en', 'OPT-OUT'],
      ['en', 'REVOKE'],
      ['en', 'REMOVE'],
      ['fr', 'arret'],
      ['fr', 'arrete'],
      ['fr', 'arrett'],
      ['fr', 'desabonner'],
      ['fr', 'desinscrire'],
      ['fr', 'TD'],
      ['es', 'baja'],
      ['es', 'darme de baja'],
      ['es', 'alto'],
      ['es', 'parar'],
      ['es', 'cancelar'],
      ['pt', 'sair'],
      ['pt', 'descadastrar'],
      ['de', 'stopp'],
      ['de', 'abmelden'],
      ['de', 'abbestellen'],
      ['it', 'basta'],
      ['it', 'annulla'],
      ['it', 'disiscrivimi'],
    ];
    for (const [language, word] of required) {
      expect({ word, match: matchKeyword(word, rules) }).toEqual({
        word,
        match: { kind: 'opt_out', language, keyword: normaliseText(word) },
      });
    }
  });

  it('ships opt-in keywords per language', () => {
    const required: Array<[string, string]> = [
      ['en', 'START'],
      ['en', 'UNSTOP'],
      ['en', 'SUBSCRIBE'],
      ['en', 'OPTIN'],
      ['en', 'OPT IN'],
      ['fr', 'abonner'],
      ['es', 'alta'],
      ['pt', 'assinar'],
      ['de', 'anmelden'],
      ['it', 'iscrivimi'],
    ];
    for (const [language, word] of required) {
      expect(matchKeyword(word, rules)).toEqual({ kind: 'opt_in', language, keyword: normaliseText(word) });
    }
  });

  it('does not treat a plain yes in any language as an opt-in', () => {
    for (const word of ['yes', 'YES', 'sim', 'si', 'sí', 'oui', 'ja', 'ok']) {
      expect(matchKeyword(word, rules)).toBeNull();
    }
  });

  it('maps Meta user_preferences values from the config', () => {
    expect(userPreferenceAction('stop', rules)).toBe('opt_out');
    expect(userPreferenceAction('resume', rules)).toBe('opt_in');
    expect(userPreferenceAction('signup', rules)).toBe('opt_in');
    expect(userPreferenceAction('STOP', rules)).toBe('opt_out');
    expect(userPreferenceAction('pause', rules)).toBeNull();
  });

  it('ignores keys starting with an underscore (comments)', () => {
    const config = configWith('buttons._comment', 'hello');
    config._comment = 'hello';
    expect(() => buildConsentRules(config)).not.toThrow();
  });

  it('accepts "none" as a user_preferences action so a tenant can ignore resume', () => {
    const config = configWith('user_preferences.resume', 'none');
    expect(userPreferenceAction('resume', buildConsentRules(config))).toBe('none');
  });

  it('throws naming the file when it is missing or not JSON', () => {
    expect(() => loadConsentRules(join(dir, 'missing.json'))).toThrow(
      /Cannot read consent config .*missing\.json/,
    );
    expect(() => loadConsentRules(writeConfig('broken.json', '{ "keywords": '))).toThrow(
      /broken\.json is not valid JSON/,
    );
  });

  it.each<[string, string, unknown, string]>([
    ['missing keywords', 'keywords', undefined, 'keywords'],
    ['keywords.opt_out not an object', 'keywords.opt_out', ['stop'], 'keywords.opt_out'],
    ['a language that is not a list', 'keywords.opt_out.fr', 'arret', 'keywords.opt_out.fr'],
    ['a keyword that is not a string', 'keywords.opt_in.en', ['start', 7], 'keywords.opt_in.en[1]'],
    ['a keyword that is only punctuation', 'keywords.opt_out.en', ['stop', '!!'], 'keywords.opt_out.en[1]'],
    ['a keyword in both directions', 'keywords.opt_in.fr', ['Stop'], 'keywords.opt_in.fr[0]'],
    ['an unknown keywords direction', 'keywords.opt_maybe', {}, 'keywords.opt_maybe'],
    ['missing buttons.opt_in', 'buttons.opt_in', undefined, 'buttons.opt_in'],
    ['a payload in both directions', 'buttons.opt_in', ['CONSENT_STOP'], 'buttons.opt_in[0]'],
    ['button texts that are not a list', 'buttons.opt_out_texts', 'stop promotions', 'buttons.opt_out_texts'],
    ['an unknown user_preferences action', 'user_preferences.resume', 'grant', 'user_preferences.resume'],
    ['empty purposes', 'purposes', [], 'purposes'],
    ['a misspelt top-level key', 'user_preference', {}, 'user_preference'],
  ])('rejects %s, naming the key', (_label, path, value, key) => {
    expect(() => buildConsentRules(configWith(path, value), 'test.json')).toThrow(
      `Invalid consent config test.json: "${key}"`,
    );
  });

  it('rejects a root that is not an object', () => {
    expect(() => buildConsentRules([], 'test.json')).toThrow('Invalid consent config test.json: "(root)"');
  });
});

describe(matchKeyword.name, () => {
  it.each([
    ['STOP', 'stop'],
    ['stop', 'stop'],
    ['Stop!', 'stop'],
    ['Stop.', 'stop'],
    ['  stop  ', 'stop'],
    ['stop 🛑', 'stop'],
    ['🛑STOP🛑', 'stop'],
    ['"stop"', 'stop'],
    ['stop\u200b', 'stop'],
    ['ＳＴＯＰ', 'stop'],
    ['Stop   all', 'stop all'],
    ['stop\nall', 'stop all'],
    ['Opt‑Out', 'opt-out'],
    ['unsubscribe!!!', 'unsubscribe'],
  ])('matches English %j as the keyword %j', (text, keyword) => {
    expect(matchKeyword(text, rules)).toEqual({ kind: 'opt_out', language: 'en', keyword });
  });

  it.each([
    ['ARRÊT', 'arret'],
    ['Arrêt', 'arret'],
    ['arrete', 'arrete'],
    ['Arrête !', 'arrete'],
    ['ARRETT', 'arrett'],
    ['Désabonner', 'desabonner'],
    ['se désinscrire.', 'se desinscrire'],
    ['TD', 'td'],
  ])('matches French %j as the keyword %j', (text, keyword) => {
    expect(matchKeyword(text, rules)).toEqual({ kind: 'opt_out', language: 'fr', keyword });
  });

  it('matches Spanish, Portuguese, German and Italian opt-outs with punctuation and accents', () => {
    expect(matchKeyword('¡BAJA!', rules)).toMatchObject({ kind: 'opt_out', language: 'es', keyword: 'baja' });
    expect(matchKeyword('Darme de baja', rules)).toMatchObject({ language: 'es', keyword: 'darme de baja' });
    expect(matchKeyword('Sair.', rules)).toMatchObject({ kind: 'opt_out', language: 'pt', keyword: 'sair' });
    expect(matchKeyword('DESCADASTRAR', rules)).toMatchObject({ language: 'pt', keyword: 'descadastrar' });
    expect(matchKeyword('Stopp!', rules)).toMatchObject({
      kind: 'opt_out',
      language: 'de',
      keyword: 'stopp',
    });
    expect(matchKeyword('Abmelden', rules)).toMatchObject({ language: 'de', keyword: 'abmelden' });
    expect(matchKeyword('Basta!!', rules)).toMatchObject({
      kind: 'opt_out',
      language: 'it',
      keyword: 'basta',
    });
    expect(matchKeyword('disiscrivimi', rules)).toMatchObject({ language: 'it', keyword: 'disiscrivimi' });
  });

  it('attributes a word shared by two languages of one direction to the first configured language', () => {
    expect(matchKeyword('parar', rules)).toEqual({ kind: 'opt_out', language: 'es', keyword: 'parar' });
    expect(matchKeyword('cancelar', rules)).toEqual({ kind: 'opt_out', language: 'es', keyword: 'cancelar' });
  });

  it('matches opt-in keywords, including typographic apostrophes', () => {
    expect(matchKeyword('Start', rules)).toEqual({ kind: 'opt_in', language: 'en', keyword: 'start' });
    expect(matchKeyword('UNSTOP', rules)).toEqual({ kind: 'opt_in', language: 'en', keyword: 'unstop' });
    expect(matchKeyword('S’abonner', rules)).toEqual({
      kind: 'opt_in',
      language: 'fr',
      keyword: "s'abonner",
    });
    expect(matchKeyword('Alta', rules)).toEqual({ kind: 'opt_in', language: 'es', keyword: 'alta' });
    expect(matchKeyword('Iscrivimi!', rules)).toEqual({
      kind: 'opt_in',
      language: 'it',
      keyword: 'iscrivimi',
    });
  });

  it.each([
    'stop please',
    "please don't stop",
    'please stop',
    'stop sending offers',
    'non-stop',
    'stopped',
    'st op',
    'Does it come in another color?',
    '',
    '   ',
    '🛑',
    'yes',
  ])('does not match %j (whole message only)', (text) => {
    expect(matchKeyword(text, rules)).toBeNull();
  });

  it('returns null for a non-string at runtime instead of throwing', () => {
    expect(matchKeyword(undefined as unknown as string, rules)).toBeNull();
  });
});

describe(normaliseText.name, () => {
  it.each([
    ['  ARRÊT  ', 'arret'],
    ['Ünsübscribe!', 'unsubscribe'],
    ['Stop \t\n All', 'stop all'],
    ['¿¡Baja!?', 'baja'],
    ['«Arrête»', 'arrete'],
    ['ﬁn', 'fin'],
    ['stop 👋🏽', 'stop'],
    ['stop ❤️', 'stop'],
    ['stop please', 'stop please'],
  ])('folds %j to %j', (input, expected) => {
    expect(normaliseText(input)).toBe(expected);
  });
});

describe(matchButtonPayload.name, () => {
  it.each([
    ['consent_stop', 'opt_out'],
    ['CONSENT_STOP', 'opt_out'],
    ['consent_stop:7f3c', 'opt_out'],
    ['STOP_PROMOTIONS', 'opt_out'],
    ['stop_promotions', 'opt_out'],
    ['consent_start', 'opt_in'],
    ['consent_yes:campaign:42', 'opt_in'],
  ])('maps %j to %s', (payload, kind) => {
    expect(matchButtonPayload(payload, rules)).toBe(kind);
  });

  it.each([
    'consent_stopper',
    'xconsent_stop',
    'consent_stop_7f3c',
    ':consent_stop',
    'callback_data',
    'SIM',
    '',
  ])('does not map %j', (payload) => {
    expect(matchButtonPayload(payload, rules)).toBeNull();
  });
});

describe(matchButtonText.name, () => {
  it('recognises the label of Meta’s built-in "Stop promotions" button', () => {
    expect(matchButtonText('Stop promotions', rules)).toBe('opt_out');
    expect(matchButtonText('STOP PROMOTIONS', rules)).toBe('opt_out');
    expect(matchButtonText('Parar promoções', rules)).toBe('opt_out');
  });

  it('ignores other labels', () => {
    expect(matchButtonText('SIM', rules)).toBeNull();
    expect(matchButtonText('title', rules)).toBeNull();
  });
});
