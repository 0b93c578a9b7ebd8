import { actionArea, actionsOfArea, actionWords, outcomeOf } from './audit-actions';

describe('audit actions in words', () => {
  it('names a known action with its target', () => {
    expect(actionWords('POST /v1/vendors/:id/dpas', 'Acme')).toBe('Added a DPA version to vendor Acme');
    expect(actionWords('POST /v1/vendors', 'Acme')).toBe('Added vendor Acme');
    expect(actionWords('POST /v1/vendors', null)).toBe('Added vendor');
  });

  it('names an unknown route from its method and path, never as the raw route', () => {
    expect(actionWords('POST /v1/widgets/:id/frobnicate')).toBe('Created or ran widgets frobnicate');
    expect(actionWords('DELETE /v1/processing-activities/:id')).toBe('Removed processing activities');
  });

  it('calls a refused sign-in an attempt, not a sign-in', () => {
    expect(actionWords('session.login', null, 'success')).toBe('Signed in');
    expect(actionWords('session.login', null, 'failure')).toBe('Tried to sign in');
  });

  it('groups actions into areas for the "what" filter', () => {
    expect(actionArea('PATCH /v1/users/:id')).toBe('access');
    expect(actionsOfArea('sign_in')).toEqual(['session.login']);
    expect(actionArea('person.something_new')).toBe('people');
  });

  it('tells refused from failed, with the status in words', () => {
    expect(outcomeOf('success', 201)).toEqual({ result: 'succeeded', words: 'Succeeded' });
    expect(outcomeOf('failure', 403)).toEqual({ result: 'refused', words: 'Refused: not allowed (403)' });
    expect(outcomeOf('failure', 409)).toEqual({
      result: 'failed',
      words: 'Failed: in conflict with what exists (409)',
    });
    expect(outcomeOf('failure', 502).result).toBe('failed');
    expect(outcomeOf('failure', 401, 'locked').words).toBe('Refused: the account is locked (401)');
    // Entries written before statuses were recorded.
    expect(outcomeOf('failure', null)).toEqual({ result: 'refused', words: 'Refused' });
  });
});
