import { AuthFailedError, TransientError, type ConnectionService } from '../connectors';
import { CallFailures } from './call-failures';

describe(CallFailures.name, () => {
  const marked: { id: string; reason: string }[] = [];
  const connections = {
    markAuthFailed: (id: string, reason: string) => {
      marked.push({ id, reason });
      return Promise.resolve();
    },
  } as unknown as ConnectionService;
  const failures = new CallFailures(connections);

  beforeEach(() => marked.splice(0));

  it("marks the connection auth_failed with the vendor's text scrubbed of the phone and email it quotes", async () => {
    const { error, halt } = await failures.classify(
      'c1',
      new AuthFailedError('token of owner jane@example.com revoked while reading +1 (650) 555-1234'),
    );

    expect(marked).toEqual([{ id: 'c1', reason: 'token of owner [email] revoked while reading [phone]' }]);
    expect(error.message).toBe(
      'connection auth_failed: token of owner [email] revoked while reading [phone]',
    );
    expect(halt).toBe(true);
  });

  it('leaves the connection alone for other failures', async () => {
    const { error, halt } = await failures.classify('c1', new TransientError('HubSpot 503'));
    expect(marked).toEqual([]);
    expect(error.message).toBe('HubSpot 503');
    expect(halt).toBe(false);
  });
});
