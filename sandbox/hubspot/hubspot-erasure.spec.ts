import { batchArchive, batchCreate, batchRead, batchUpdate, batchUpsert } from './hubspot-batch';
import { archiveContact, createContact, gdprDelete, getContact } from './hubspot-contacts';
import { HubSpotHttpError } from './hubspot-http';
import { createProperty } from './hubspot-properties';
import { json, testCrm, type BatchJson, type TestCrm } from './hubspot-testing';

function rejection(run: () => unknown): HubSpotHttpError {
  try {
    run();
  } catch (err) {
    if (err instanceof HubSpotHttpError) return err;
    throw err;
  }
  throw new Error('expected the handler to throw');
}

const create = (crm: TestCrm, properties: Record<string, string>) =>
  json(createContact(crm.ctx({ properties })));

function gdprDeleted(): { crm: TestCrm; id: string } {
  const crm = testCrm();
  const { id } = create(crm, { email: 'Jane@Example.com', phone: '+4915112345678' });
  gdprDelete(crm.ctx({ objectId: id }));
  return { crm, id };
}

describe('GDPR delete, archive and what may come back (simulator)', () => {
  it('removes a GDPR-deleted contact for good: reading it answers 404, archived or not', () => {
    const { crm, id } = gdprDeleted();
    expect(rejection(() => getContact(crm.ctx(), id)).status).toBe(404);
    expect(rejection(() => getContact(crm.ctx(undefined, { archived: 'true' }), id)).status).toBe(404);
  });

  it('emits contact.privacyDeletion and contact.deletion for one GDPR delete', () => {
    const { crm, id } = gdprDeleted();
    const types = crm.events.filter((e) => e.objectId === Number(id)).map((e) => e.subscriptionType);
    expect(types).toEqual(['contact.creation', 'contact.privacyDeletion', 'contact.deletion']);
  });

  it('answers 404 to a second GDPR delete of the same id', () => {
    const { crm, id } = gdprDeleted();
    expect(rejection(() => gdprDelete(crm.ctx({ objectId: id }))).status).toBe(404);
  });

  it('refuses to create a contact with the blocklisted email again, in any case of letters', () => {
    const { crm } = gdprDeleted();
    const error = rejection(() => create(crm, { email: 'jane@example.COM' }));
    expect(error.status).toBe(400);
    expect(JSON.stringify(error.body)).not.toMatch(/jane@example/i);
  });

  it('refuses the blocklisted email in batch create, batch update and batch upsert', () => {
    const { crm } = gdprDeleted();
    const other = create(crm, { phone: '+4930123456' });
    const email = 'jane@example.com';
    expect(rejection(() => batchCreate(crm.ctx({ inputs: [{ properties: { email } }] }))).status).toBe(400);
    expect(
      rejection(() => batchUpdate(crm.ctx({ inputs: [{ id: other.id, properties: { email } }] }))).status,
    ).toBe(400);
    expect(
      rejection(() =>
        batchUpsert(
          crm.ctx({ inputs: [{ id: email, idProperty: 'email', properties: { firstname: 'J' } }] }),
        ),
      ).status,
    ).toBe(400);
  });

  it('lets the same person be created again with a phone only (phones are not blocklisted)', () => {
    const { crm } = gdprDeleted();
    const again = create(crm, { phone: '+4915112345678' });
    expect(json(getContact(crm.ctx(undefined, { properties: 'phone' }), again.id)).properties.phone).toBe(
      '+4915112345678',
    );
  });

  it('blocklists an email GDPR-deleted by idProperty=email although no contact has it', () => {
    const crm = testCrm();
    expect(gdprDelete(crm.ctx({ objectId: 'nobody@example.com', idProperty: 'email' })).status).toBe(204);
    expect(rejection(() => create(crm, { email: 'nobody@example.com' })).status).toBe(400);
  });

  it('answers 204 to archiving an unknown or already archived contact and emits no second deletion', () => {
    const crm = testCrm();
    const { id } = create(crm, { phone: '+4915112345678' });
    expect(batchArchive(crm.ctx({ inputs: [{ id }, { id: '999999' }] })).status).toBe(204);
    expect(archiveContact(crm.ctx(), id).status).toBe(204);
    expect(crm.events.filter((e) => e.subscriptionType === 'contact.deletion')).toHaveLength(1);
  });

  it('leaves archived and GDPR-deleted contacts out of batch read, reported OBJECT_NOT_FOUND (207)', () => {
    const crm = testCrm();
    const kept = create(crm, { phone: '+4930123456' });
    const archived = create(crm, { phone: '+4930123457' });
    const deleted = create(crm, { phone: '+4930123458' });
    archiveContact(crm.ctx(), archived.id);
    gdprDelete(crm.ctx({ objectId: deleted.id }));
    const response = batchRead(crm.ctx({ inputs: [kept, archived, deleted].map(({ id }) => ({ id })) }));
    const body = json<BatchJson>(response);
    expect(response.status).toBe(207);
    expect(body.results.map((r) => r.id)).toEqual([kept.id]);
    expect(body.errors?.[0]).toMatchObject({
      category: 'OBJECT_NOT_FOUND',
      context: { ids: [archived.id, deleted.id] },
    });
  });

  it('keeps a bool property to "true" and "false" and refuses other values', () => {
    const crm = testCrm();
    createProperty(
      crm.ctx({
        name: 'consent_gateway_processing_restricted',
        label: 'Restricted',
        type: 'bool',
        fieldType: 'booleancheckbox',
        groupName: 'contactinformation',
        options: [
          { label: 'Yes', value: 'true' },
          { label: 'No', value: 'false' },
        ],
      }),
    );
    const { id } = create(crm, { phone: '+4930123456', consent_gateway_processing_restricted: 'true' });
    expect(
      rejection(() =>
        batchUpdate(
          crm.ctx({ inputs: [{ id, properties: { consent_gateway_processing_restricted: 'yes' } }] }),
        ),
      ).status,
    ).toBe(400);
  });
});
