import { changesBetween, targetNameOf } from './audit-changes';

describe('before/after of a change', () => {
  it('lists only the fields that changed, with their old and new values', () => {
    expect(
      changesBetween(
        { id: 'v1', name: 'Acme', country: 'IE', updated_at: '2026-01-01' },
        { id: 'v1', name: 'Acme GmbH', country: 'IE', updated_at: '2026-02-01' },
      ),
    ).toEqual({ name: { before: 'Acme', after: 'Acme GmbH' } });
  });

  it('never copies contact details or credentials: the field is named, its values hidden', () => {
    const changes = changesBetween(
      { privacy_email: 'a@acme.example', api_token: 'x', phone: '+4915112345678' },
      { privacy_email: 'b@acme.example', api_token: 'y', phone: '+4915112345679' },
    );
    expect(changes).toEqual({
      privacy_email: { before: '(hidden)', after: '(hidden)' },
      api_token: { before: '(hidden)', after: '(hidden)' },
      phone: { before: '(hidden)', after: '(hidden)' },
    });
  });

  it('cuts long values and gives up on answers that are not objects', () => {
    const changes = changesBetween({ purposes: 'a' }, { purposes: 'b'.repeat(500) });
    expect(String(changes?.purposes.after)).toHaveLength(201);
    expect(changesBetween(null, { a: 1 })).toBeNull();
    expect(changesBetween([1], [2])).toBeNull();
  });

  it('names a target from the answer, never from an email', () => {
    expect(targetNameOf({ name: ' Acme ' })).toBe('Acme');
    expect(targetNameOf({ vendor_name: 'Acme', name: 'DPA 2' })).toBe('Acme');
    expect(targetNameOf({ email: 'a@b.example' })).toBeNull();
  });
});
