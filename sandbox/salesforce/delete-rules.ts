/**
 * What deleting a record does to the records that point at it, as Salesforce documents lookup relationships:
 *
 * - A lookup is never a cascade. Deleting a Contact or a Lead leaves its Individual alone (the Individual is a
 *   separate record that several Contacts, Leads and Users may share); an integration that wants the Individual gone
 *   deletes it itself. Nothing here ever deletes a second record.
 * - An optional lookup (Contact/Lead.IndividualId, ContactPointTypeConsent.PartyId) is cleared on the records that
 *   pointed at the deleted one: Salesforce's default for an optional lookup ("clear the value of this field").
 * - A required lookup (ContactPointPhone/ContactPointEmail.ParentId) cannot be cleared, so the delete is refused
 *   with DELETE_FAILED while such a record still points at the parent. Salesforce's documentation does not say
 *   whether deleting an Individual takes its contact points with it; the simulator takes the stricter reading (the
 *   integration must delete the contact points first), so a gateway that relied on a cascade would fail here.
 *
 * The clearing moves the child's SystemModstamp (a system change) but not LastModifiedDate.
 */
import { formatSfDateTime, OBJECTS, parseSfDateTime, type ObjectDef } from './schema';

type Row = Record<string, unknown> & { Id: string };

export interface DeleteEffects {
  /** Records whose required lookup names the record: the delete must be refused. */
  blockers: Array<{ type: string; id: string; field: string }>;
  /** Clears the optional lookups that name the record (call when the delete is applied). */
  apply: (now: number) => void;
}

export function deleteEffects(
  records: Record<string, Map<string, Row>>,
  object: ObjectDef,
  id: string,
): DeleteEffects {
  const blockers: DeleteEffects['blockers'] = [];
  const clear: Array<{ row: Row; field: string }> = [];
  for (const other of Object.values(OBJECTS)) {
    const refs = other.fields.filter((f) => f.type === 'reference' && f.referenceTo?.includes(object.name));
    if (refs.length === 0) continue;
    for (const row of records[other.name]?.values() ?? []) {
      for (const field of refs) {
        if (row[field.name] !== id) continue;
        if (field.required) blockers.push({ type: other.name, id: row.Id, field: field.name });
        else clear.push({ row, field: field.name });
      }
    }
  }
  return {
    blockers,
    apply: (now) => {
      for (const { row, field } of clear) {
        row[field] = null;
        const previous = parseSfDateTime(String(row.SystemModstamp));
        row.SystemModstamp = formatSfDateTime(Math.max(now, previous + 1));
      }
    },
  };
}

/** Salesforce's message for a delete refused because of a required lookup (the ids named, never values). */
export function deleteFailedMessage(object: ObjectDef, blockers: DeleteEffects['blockers']): string {
  const first = blockers[0];
  return (
    `Your attempt to delete this ${object.name} could not be completed because it is associated with the ` +
    `following ${first.type.toLowerCase()}s.: ${blockers.map((b) => b.id).join(', ')}`
  );
}
