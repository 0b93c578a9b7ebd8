import { checkDocument, contentDisposition, matchesMagicBytes } from './dpa-document';
import { DPA_DOCUMENT_MAX_BYTES } from './registry.types';

describe(matchesMagicBytes.name, () => {
  it('accepts a PDF header and a ZIP container', () => {
    expect(matchesMagicBytes('application/pdf', Buffer.from('%PDF-1.7\n'))).toBe(true);
    expect(
      matchesMagicBytes(
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14]),
      ),
    ).toBe(true);
  });

  it('refuses a Windows executable or plain text declared as a PDF', () => {
    expect(matchesMagicBytes('application/pdf', Buffer.from('MZ\x90\x00'))).toBe(false);
    expect(matchesMagicBytes('application/pdf', Buffer.from('hello'))).toBe(false);
  });
});

describe(contentDisposition.name, () => {
  it('names the file as an attachment, with a UTF-8 form', () => {
    expect(contentDisposition('Vertrag "ü".pdf')).toBe(
      `attachment; filename="Vertrag ___.pdf"; filename*=UTF-8''Vertrag%20%22%C3%BC%22.pdf`,
    );
  });
});

describe(checkDocument.name, () => {
  const form = { type: 'document', body: 'document' };
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error as { code: string; errors: { field: string }[] };
    }
    throw new Error('accepted');
  };

  it('accepts a PDF and gives its SHA-256 and size', () => {
    const checked = checkDocument('application/pdf', Buffer.from('%PDF-1.7\n'), 'a.pdf', form);
    expect(checked).toMatchObject({ type: 'application/pdf', size: 9, name: 'a.pdf' });
    expect(checked.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses another type, an empty file, one over 10 MB and a fake PDF, naming the field it is given', () => {
    expect(refusal(() => checkDocument('image/png', Buffer.from('x'), null, form))).toMatchObject({
      code: 'unsupported_document',
      errors: [{ field: 'document' }],
    });
    expect(refusal(() => checkDocument('application/pdf', Buffer.alloc(0), null, form))).toMatchObject({
      errors: [{ field: 'document' }],
    });
    const big = Buffer.alloc(DPA_DOCUMENT_MAX_BYTES + 1, 0x20);
    big.write('%PDF-');
    expect(refusal(() => checkDocument('application/pdf', big, null, form))).toMatchObject({
      code: 'document_too_large',
    });
    expect(
      refusal(() =>
        checkDocument('application/pdf', Buffer.from('MZ\x90'), null, { type: 'content-type', body: 'body' }),
      ),
    ).toMatchObject({ code: 'unsupported_document', errors: [{ field: 'body' }] });
  });
});
