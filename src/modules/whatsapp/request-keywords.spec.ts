import { join } from 'node:path';
import { buildRequestsConfig, loadRequestsConfig } from '../../config/requests-config';
import { loadConsentRules, matchKeyword } from './consent-rules';
import { buildRequestKeywords, matchRequestKeyword } from './request-keywords';
import { parseWhatsAppEnvelope } from './whatsapp-payload.parser';

const CONFIG = join(__dirname, '../../../config');
const keywords = buildRequestKeywords(loadRequestsConfig(join(CONFIG, 'requests.json')));
const consentRules = loadConsentRules(join(CONFIG, 'consent.json'));

describe(matchRequestKeyword.name, () => {
  it.each([
    ['en', 'DELETE MY DATA', 'erasure'],
    ['fr', 'Supprimer mes données', 'erasure'],
    ['es', 'borrar mis datos', 'erasure'],
    ['pt', 'Apagar meus dados', 'erasure'],
    ['de', 'Meine Daten löschen', 'erasure'],
    ['it', 'cancella i miei dati', 'erasure'],
    ['en', 'send me my data', 'access'],
    ['fr', 'accès à mes données', 'access'],
    ['es', 'acceso a mis datos', 'access'],
    ['pt', 'acesso aos meus dados', 'access'],
    ['de', 'Auskunft über meine Daten', 'access'],
    ['it', 'accesso ai miei dati', 'access'],
    ['en', 'object to marketing', 'objection'],
    ['fr', "je m'oppose à la prospection", 'objection'],
    ['es', 'me opongo al marketing', 'objection'],
    ['pt', 'oponho-me ao marketing', 'objection'],
    ['de', 'Widerspruch gegen Werbung', 'objection'],
    ['it', 'mi oppongo al marketing', 'objection'],
  ])('matches the %s keyword "%s" as a %s request', (language, text, type) => {
    expect(matchRequestKeyword(text, keywords)).toEqual(expect.objectContaining({ type, language }));
  });

  it('matches ignoring accents, case, edge punctuation, emoji and typographic apostrophes', () => {
    expect(matchRequestKeyword('  SUPPRIMER MES DONNEES !!! 🙏', keywords)?.type).toBe('erasure');
    expect(matchRequestKeyword('meine daten loschen.', keywords)?.type).toBe('erasure');
    expect(matchRequestKeyword('Diritto all’oblio', keywords)?.type).toBe('erasure');
  });

  it('does not match a keyword inside a longer message', () => {
    expect(matchRequestKeyword('please delete my data tomorrow', keywords)).toBeNull();
    expect(matchRequestKeyword('do not delete my data', keywords)).toBeNull();
  });

  it('does not treat a STOP keyword as a request, nor a request keyword as a STOP', () => {
    expect(matchRequestKeyword('STOP', keywords)).toBeNull();
    expect(matchKeyword('delete my data', consentRules)).toBeNull();
  });
});

describe(buildRequestKeywords.name, () => {
  const config = (keywordSection: unknown) => buildRequestsConfig({ keywords: keywordSection });

  it('ships erasure, access and objection keywords in the six languages of the STOP keywords', () => {
    const shipped = loadRequestsConfig(join(CONFIG, 'requests.json'));
    for (const type of ['erasure', 'access', 'objection'] as const)
      expect(Object.keys(shipped.keywords[type] ?? {}).sort()).toEqual(['de', 'en', 'es', 'fr', 'it', 'pt']);
  });

  it('refuses a keyword that names two request types, naming the key', () => {
    expect(() =>
      buildRequestKeywords(config({ erasure: { en: ['forget me'] }, access: { fr: ['Forget me!'] } })),
    ).toThrow('"keywords.access.fr[0]" ("forget me") is also a erasure keyword (en)');
  });

  it('refuses a keyword that is only punctuation, naming the key', () => {
    expect(() => buildRequestKeywords(config({ erasure: { en: ['?!'] } }))).toThrow(
      '"keywords.erasure.en[0]"',
    );
  });
});

describe(parseWhatsAppEnvelope.name, () => {
  const envelope = (text: string, id: string | null = 'wamid.HBgL1') => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA',
        changes: [
          {
            field: 'messages',
            value: {
              metadata: { phone_number_id: '106540352242922' },
              contacts: [{ wa_id: '4915112345678', profile: { name: 'Ana' } }],
              messages: [
                { from: '4915112345678', id, timestamp: '1700000000', type: 'text', text: { body: text } },
              ],
            },
          },
        ],
      },
    ],
  });

  it('marks a request keyword message as a request with no consent change', () => {
    const [item] = parseWhatsAppEnvelope(envelope('Borrar mis datos'), consentRules, keywords);
    expect(item.request).toEqual({ type: 'erasure', language: 'es', keyword: 'borrar mis datos' });
    expect(item.signal.kind).toBe('none');
    expect(item.evidence).toEqual(
      expect.objectContaining({ request_type: 'erasure', request_keyword_language: 'es' }),
    );
  });

  it('keeps a STOP a STOP and not a request', () => {
    const [item] = parseWhatsAppEnvelope(envelope('stop'), consentRules, keywords);
    expect(item.request).toBeNull();
    expect(item.signal.kind).toBe('opt_out');
  });

  it('is both a STOP and a request when the business lists the words in both files', () => {
    const both = loadConsentRules(join(CONFIG, 'consent.json'));
    (both.keywords as Map<string, unknown>).set('delete my data', {
      kind: 'opt_out',
      language: 'en',
      keyword: 'delete my data',
    });
    const [item] = parseWhatsAppEnvelope(envelope('delete my data'), both, keywords);
    expect(item.request?.type).toBe('erasure');
    expect(item.signal.kind).toBe('opt_out');
  });

  it('does not make a request of a message without an id (it could not be de-duplicated)', () => {
    const [item] = parseWhatsAppEnvelope(envelope('delete my data', null), consentRules, keywords);
    expect(item.request).toBeNull();
  });
});
