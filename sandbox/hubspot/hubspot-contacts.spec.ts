import { batchCreate, batchUpdate, batchUpsert } from './hubspot-batch';
import { createContact, getContact, updateContact } from './hubspot-contacts';
import { HubSpotHttpError } from './hubspot-http';
import { json, testCrm, type BatchJson, type TestCrm } from './hubspot-testing';

const TYPED = {
  phone: '+49 (0)1511 2345678 ',
  mobilephone: '(650) 253-0000',
  hs_whatsapp_phone_number: '4915112345678',
  firstname: '  Jane ',
  email: 'Jane.Doe@Example.com',
};

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

const read = (crm: TestCrm, id: string, properties: string[]) =>
  json(getContact(crm.ctx(undefined, { properties: properties.join(',') }), id));

describe('contacts keep every property exactly as written', () => {
  it('stores phones, names and email untouched on create', () => {
    const crm = testCrm();
    const { id } = create(crm, TYPED);
    expect(read(crm, id, Object.keys(TYPED)).properties).toMatchObject(TYPED);
  });

  it('stores them untouched on update, batch create and batch update', () => {
    const crm = testCrm();
    const { id } = create(crm, { email: 'a@example.com' });
    updateContact(crm.ctx({ properties: { phone: '0151 2345678' } }), id);
    expect(read(crm, id, ['phone']).properties.phone).toBe('0151 2345678');

    const created = json<BatchJson>(batchCreate(crm.ctx({ inputs: [{ properties: TYPED }] })));
    const second = created.results[0].id;
    expect(read(crm, second, Object.keys(TYPED)).properties).toMatchObject(TYPED);

    batchUpdate(crm.ctx({ inputs: [{ id: second, properties: { mobilephone: '+1-650-253-0000 x7' } }] }));
    expect(read(crm, second, ['mobilephone']).properties.mobilephone).toBe('+1-650-253-0000 x7');
  });

  it('returns the calculated phone properties when requested, derived from the typed values', () => {
    const crm = testCrm();
    const { id } = create(crm, { ...TYPED, hs_country_region_code: 'US' });
    expect(
      read(crm, id, [
        'hs_searchable_calculated_international_phone_number',
        'hs_searchable_calculated_phone_number',
        'hs_searchable_calculated_international_mobile_number',
        'hs_searchable_calculated_mobile_number',
      ]).properties,
    ).toMatchObject({
      hs_searchable_calculated_international_phone_number: '+4915112345678',
      hs_searchable_calculated_phone_number: '15112345678',
      hs_searchable_calculated_international_mobile_number: '+16502530000',
      hs_searchable_calculated_mobile_number: '6502530000',
    });
  });

  it('refuses writes to a calculated phone property with 400 VALIDATION_ERROR (read-only value)', () => {
    const crm = testCrm();
    const err = rejection(() =>
      createContact(crm.ctx({ properties: { hs_searchable_calculated_international_phone_number: '+491' } })),
    );
    expect(err.status).toBe(400);
    expect(err.body.category).toBe('VALIDATION_ERROR');
    expect(err.body.message).toContain('READ_ONLY_VALUE');
    const { id } = create(crm, { phone: '+4915112345678' });
    const update = rejection(() =>
      updateContact(crm.ctx({ properties: { hs_searchable_calculated_mobile_number: '1' } }), id),
    );
    expect(update.status).toBe(400);
  });
});

describe('createdate and lastmodifieddate', () => {
  it('moves lastmodifieddate and updatedAt on every write and keeps createdate', () => {
    const crm = testCrm();
    const created = create(crm, { phone: '+4915112345678' });
    crm.advance(1_000);
    updateContact(crm.ctx({ properties: { phone: '+4915112345679' } }), created.id);
    const afterChange = read(crm, created.id, ['createdate', 'lastmodifieddate']);
    expect(afterChange.properties.createdate).toBe(created.createdAt);
    expect(afterChange.properties.lastmodifieddate).toBe('2025-01-02T10:00:01.000Z');
    expect(afterChange.updatedAt).toBe('2025-01-02T10:00:01.000Z');

    crm.advance(1_000);
    batchUpdate(crm.ctx({ inputs: [{ id: created.id, properties: { phone: '+4915112345679' } }] }));
    const afterSameValue = read(crm, created.id, ['lastmodifieddate']);
    expect(afterSameValue.properties.lastmodifieddate).toBe('2025-01-02T10:00:02.000Z');
    expect(afterSameValue.createdAt).toBe(created.createdAt);
  });

  it('emits propertyChange only for values that changed, although every write moves lastmodifieddate', () => {
    const crm = testCrm();
    const { id } = create(crm, { phone: '+4915112345678', firstname: 'Jane' });
    crm.events.length = 0;
    updateContact(crm.ctx({ properties: { phone: '+4915112345678', firstname: 'Janet' } }), id);
    expect(crm.events.map((e) => [e.subscriptionType, e.propertyName])).toEqual([
      ['contact.propertyChange', 'firstname'],
    ]);
  });

  it('moves lastmodifieddate on batch upsert of an existing contact', () => {
    const crm = testCrm();
    const created = create(crm, { email: 'up@example.com' });
    crm.advance(5_000);
    batchUpsert(
      crm.ctx({ inputs: [{ id: 'up@example.com', idProperty: 'email', properties: { firstname: 'U' } }] }),
    );
    expect(read(crm, created.id, ['lastmodifieddate']).properties.lastmodifieddate).toBe(
      '2025-01-02T10:00:05.000Z',
    );
  });
});

describe('email uniqueness', () => {
  it('answers 409 "Contact already exists. Existing ID: <id>" for an email in another case', () => {
    const crm = testCrm();
    const { id } = create(crm, { email: 'jane@example.com' });
    const err = rejection(() => createContact(crm.ctx({ properties: { email: 'JANE@Example.COM' } })));
    expect(err.status).toBe(409);
    expect(err.body).toMatchObject({
      category: 'CONFLICT',
      message: `Contact already exists. Existing ID: ${id}`,
    });
  });

  it('reports an existing email per item in batch create and creates the other inputs', () => {
    const crm = testCrm();
    const { id } = create(crm, { email: 'jane@example.com' });
    const res = batchCreate(
      crm.ctx({
        inputs: [
          { properties: { email: 'new@example.com' } },
          { properties: { email: 'Jane@Example.com' } },
          { properties: { email: 'NEW@example.com' } },
        ],
      }),
    );
    const body = json<BatchJson>(res);
    expect(res.status).toBe(207);
    expect(body.results).toHaveLength(1);
    expect(body.numErrors).toBe(2);
    expect(body.errors?.map((e) => [e.category, e.message, e.context.inputIndex])).toEqual([
      ['CONFLICT', `Contact already exists. Existing ID: ${id}`, ['1']],
      ['CONFLICT', `Contact already exists. Existing ID: ${body.results[0].id}`, ['2']],
    ]);
  });

  it('reports an email taken by another contact per item in batch update', () => {
    const crm = testCrm();
    const a = create(crm, { email: 'a@example.com' });
    const b = create(crm, { email: 'b@example.com' });
    const res = batchUpdate(
      crm.ctx({
        inputs: [
          { id: b.id, properties: { email: 'A@example.com' } },
          { id: a.id, properties: { firstname: 'Ann' } },
        ],
      }),
    );
    expect(res.status).toBe(207);
    expect(json<BatchJson>(res).errors?.[0].message).toBe(`Contact already exists. Existing ID: ${a.id}`);
    expect(read(crm, b.id, ['email']).properties.email).toBe('b@example.com');
    expect(read(crm, a.id, ['firstname']).properties.firstname).toBe('Ann');
  });

  it('answers 201 when no input of a batch create conflicts', () => {
    const crm = testCrm();
    const res = batchCreate(crm.ctx({ inputs: [{ properties: { email: 'a@example.com' } }] }));
    expect(res.status).toBe(201);
  });

  it('lets several contacts share a phone', () => {
    const crm = testCrm();
    const a = create(crm, { phone: '+4915112345678', email: 'a@example.com' });
    const b = create(crm, { phone: '+4915112345678', email: 'b@example.com' });
    expect(a.id).not.toBe(b.id);
  });

  it('keeps error texts free of the email address', () => {
    const crm = testCrm();
    create(crm, { email: 'jane@example.com' });
    const err = rejection(() => createContact(crm.ctx({ properties: { email: 'jane@example.com' } })));
    expect(JSON.stringify(err.body)).not.toContain('jane@');
  });
});
