import { ConnectionInvalidError } from './connection.errors';
import { refuseUnknownMappingKeys } from './mapping-keys';

describe('the mapping of a connection', () => {
  it('accepts the settings its provider knows', () => {
    expect(() => refuseUnknownMappingKeys('hubspot', { phoneProperties: ['phone'] })).not.toThrow();
    expect(() => refuseUnknownMappingKeys('salesforce', { targets: ['Contact', 'Lead'] })).not.toThrow();
  });

  it('refuses every unknown key, naming each as mapping.<key>', () => {
    let error: unknown;
    try {
      refuseUnknownMappingKeys('hubspot', { phoneProperties: [], targets: ['Lead'], colour: 'red' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectionInvalidError);
    expect((error as ConnectionInvalidError).errors!.map((e) => e.field)).toEqual([
      'mapping.targets',
      'mapping.colour',
    ]);
  });

  it('refuses any key for a webhook processor, which has no mapping', () => {
    expect(() => refuseUnknownMappingKeys('webhook', { portalId: '1' })).toThrow(/has no mapping settings/);
  });
});
