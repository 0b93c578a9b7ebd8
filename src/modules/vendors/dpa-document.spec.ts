import { contentDisposition, matchesMagicBytes } from './dpa-document';

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
