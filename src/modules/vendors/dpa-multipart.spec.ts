import { boundaryOf, MultipartError, parseMultipart } from './dpa-multipart';

const form = (boundary: string, ...parts: string[]) =>
  Buffer.from(`preamble\r\n${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`);

describe(parseMultipart.name, () => {
  it('reads each part with its name, file name, type and exact bytes', () => {
    const parts = parseMultipart(
      form(
        'XyZ',
        'Content-Disposition: form-data; name="dpa"\r\nContent-Type: application/json\r\n\r\n{"status":"signed"}',
        'Content-Disposition: form-data; name="document"; filename="Vertrag \\"ü\\".pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\r\n\r\nbody',
      ),
      'XyZ',
    );
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ['dpa', null, 'application/json'],
      ['document', 'Vertrag "ü".pdf', 'application/pdf'],
    ]);
    expect(parts[0].content.toString()).toBe('{"status":"signed"}');
    expect(parts[1].content.toString()).toBe('%PDF-1.7\r\n\r\nbody');
  });

  it('refuses a body without the declared boundary, or cut off before its closing delimiter', () => {
    expect(() => parseMultipart(Buffer.from('{"status":"signed"}'), 'XyZ')).toThrow(MultipartError);
    expect(() =>
      parseMultipart(Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="dpa"\r\n\r\n{}'), 'XyZ'),
    ).toThrow(/well-formed/);
  });

  it('refuses a part without a form-data name', () => {
    expect(() => parseMultipart(form('b', 'Content-Type: text/plain\r\n\r\nx'), 'b')).toThrow(/well-formed/);
  });
});

describe(boundaryOf.name, () => {
  it('reads a quoted or bare boundary, and nothing from another type', () => {
    expect(boundaryOf('multipart/form-data; boundary=----abc123')).toBe('----abc123');
    expect(boundaryOf('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(boundaryOf('multipart/form-data')).toBeNull();
  });
});
