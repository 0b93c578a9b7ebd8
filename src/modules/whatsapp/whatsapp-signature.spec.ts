import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signWhatsAppBody, verifyWhatsAppSignature } from './whatsapp-signature';

const fixtures = join(__dirname, '../../../test/fixtures/whatsapp');

describe(verifyWhatsAppSignature.name, () => {
  // Vectors from shared/reference/whatsapp-cloud-api.md §2, computed over the exact bytes.
  it('matches the reference vector for a minimal envelope', () => {
    const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    expect(signWhatsAppBody('test-app-secret', body)).toBe(
      'sha256=c84a394cc475525991e78ff16e430b02e47f953877d2af0ade26956ce6f384dc',
    );
  });

  it('matches the reference vector over fixture 03 byte for byte', () => {
    const body = readFileSync(
      join(fixtures, '03-meta-doc-user-preferences-resume-contact-without-profile.json'),
    );
    const header = 'sha256=09ff369029574afb4ffec54df3a6108cf7215534ab3da4c2e27fe8c1b0a04886';
    expect(verifyWhatsAppSignature('test-app-secret', body, header)).toBe(true);
  });

  it('matches the reference vector over the tab-indented fixture 29', () => {
    const body = readFileSync(join(fixtures, '29-piusalfred-two-changes-messages-and-user-preferences.json'));
    const header = 'sha256=c5fe5c22b943deba720fd3175e06ef47c6e68bf464fc510e6d22550c80ba48ce';
    expect(verifyWhatsAppSignature('test-app-secret', body, header)).toBe(true);
  });

  it('refuses a body changed by one byte', () => {
    const body = Buffer.from('{"object":"whatsapp_business_account","entry":[ ]}');
    const header = 'sha256=c84a394cc475525991e78ff16e430b02e47f953877d2af0ade26956ce6f384dc';
    expect(verifyWhatsAppSignature('test-app-secret', body, header)).toBe(false);
  });

  it('refuses a missing header, a header without the sha256= prefix, and a truncated signature', () => {
    const body = Buffer.from('{}');
    const good = signWhatsAppBody('s3cret-s3cret', body);
    expect(verifyWhatsAppSignature('s3cret-s3cret', body, undefined)).toBe(false);
    expect(verifyWhatsAppSignature('s3cret-s3cret', body, good.slice('sha256='.length))).toBe(false);
    expect(verifyWhatsAppSignature('s3cret-s3cret', body, good.slice(0, -2))).toBe(false);
    expect(verifyWhatsAppSignature('s3cret-s3cret', body, good)).toBe(true);
  });

  it('refuses a signature made with another secret', () => {
    const body = Buffer.from('{}');
    expect(verifyWhatsAppSignature('s3cret-s3cret', body, signWhatsAppBody('other-secret', body))).toBe(
      false,
    );
  });
});
