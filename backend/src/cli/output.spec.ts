import { bytes, fields, table, when } from './output';

describe('CLI text output', () => {
  it('aligns table columns without trailing spaces', () => {
    expect(table(['ID', 'NAME', 'STATE'], [['1', 'Support', 'public'], ['22', 'X', '']])).toBe('ID  NAME     STATE\n1   Support  public\n22  X');
  });

  it('aligns label/value pairs', () => {
    expect(fields([['Name', 'Support'], ['Login required', 'no']])).toBe('Name:            Support\nLogin required:  no');
  });

  it('prints dates in UTC to the minute, and - for none', () => {
    expect(when('2025-01-31T14:05:59.999Z')).toBe('2025-01-31 14:05 UTC');
    expect(when(null)).toBe('-');
  });

  it('prints sizes with SI units', () => {
    expect([bytes(999), bytes(14_200), bytes(3_100_000)]).toEqual(['999 B', '14.2 kB', '3.1 MB']);
  });
});
