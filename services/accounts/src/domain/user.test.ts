import { describe, expect, it } from 'vitest';
import { normalizeEmail, profileChanges, type Profile } from './user.ts';

const ada: Profile = { name: 'Ada', email: 'ada@example.com', address: null, country: 'GB' };

describe('profileChanges', () => {
  it('keeps only fields whose value differs', () => {
    expect(profileChanges(ada, { name: 'Ada', country: 'FR' })).toEqual({ country: 'FR' });
    expect(profileChanges(ada, { name: 'Ada', email: 'ada@example.com', address: null, country: 'GB' })).toEqual({});
    expect(profileChanges(ada, {})).toEqual({});
  });

  it('compares emails case-insensitively and reports the normalised form', () => {
    expect(profileChanges(ada, { email: 'ADA@Example.COM' })).toEqual({});
    expect(profileChanges(ada, { email: 'Lovelace@Example.com' })).toEqual({ email: 'lovelace@example.com' });
    expect(normalizeEmail('A@B.C')).toBe('a@b.c');
  });

  it('treats setting and clearing the address as changes, and null on null as none', () => {
    expect(profileChanges(ada, { address: '1 Analytical Way' })).toEqual({ address: '1 Analytical Way' });
    expect(profileChanges({ ...ada, address: '1 Analytical Way' }, { address: null })).toEqual({ address: null });
    expect(profileChanges(ada, { address: null })).toEqual({});
  });
});
