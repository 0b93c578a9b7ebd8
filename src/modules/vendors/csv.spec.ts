import { toCsv } from './csv';

describe(toCsv.name, () => {
  it('writes a header row and CRLF line breaks', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x', b: 1 }])).toBe('a,b\r\nx,1\r\n');
  });

  it('quotes fields with commas, quotes and line breaks, doubling the quotes', () => {
    expect(toCsv(['a'], [{ a: 'He said "hi", then\nleft' }])).toBe('a\r\n"He said ""hi"", then\nleft"\r\n');
  });

  it('joins lists and leaves nulls empty', () => {
    expect(toCsv(['a', 'b'], [{ a: ['x', 'y'], b: null }])).toBe('a,b\r\nx; y,\r\n');
  });

  it('defuses cells a spreadsheet would evaluate as a formula', () => {
    expect(toCsv(['a'], [{ a: '=HYPERLINK("x")' }])).toBe('a\r\n"\'=HYPERLINK(""x"")"\r\n');
  });
});
