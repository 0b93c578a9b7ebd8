import { SCOPES, type Scope } from '../../platform/http/scopes';
import { isRole, ROLE_SCOPES, ROLES, scopesBeyond } from './roles';

/** Person-level data and administration: what only some roles may reach. */
const PERSON_DATA: Scope[] = [
  'subjects:read',
  'consent:read',
  'requests:read',
  'requests:write',
  'requests:verify',
];
const ADMINISTRATION: Scope[] = ['keys:admin', 'users:admin', 'inbox:admin'];

describe('ROLE_SCOPES', () => {
  it('gives every role a list of known scopes only, without repeats', () => {
    for (const role of ROLES) {
      const scopes = ROLE_SCOPES[role];
      expect(scopes.every((s) => (SCOPES as readonly string[]).includes(s))).toBe(true);
      expect(new Set(scopes).size).toBe(scopes.length);
    }
  });

  it('gives an admin every scope', () => {
    expect([...ROLE_SCOPES.admin].sort()).toEqual([...SCOPES].sort());
  });

  it('lets a viewer read the overview, connections, deliveries and the registry, and nothing more', () => {
    expect([...ROLE_SCOPES.viewer].sort()).toEqual(
      ['connections:read', 'deliveries:read', 'overview:read', 'registry:read'].sort(),
    );
  });

  it('keeps person-level data from CRM admins and viewers', () => {
    for (const role of ['crm_admin', 'viewer'] as const)
      for (const scope of PERSON_DATA) expect(ROLE_SCOPES[role]).not.toContain(scope);
  });

  it('lets a DPO handle data-subject requests end to end, verification included', () => {
    for (const scope of ['requests:read', 'requests:write', 'requests:verify'] as Scope[])
      expect(ROLE_SCOPES.dpo).toContain(scope);
  });

  it('lets a DPO read person-level data and the audit log, and write the registry', () => {
    for (const scope of [...PERSON_DATA, 'audit:read', 'registry:write'] as Scope[])
      expect(ROLE_SCOPES.dpo).toContain(scope);
  });

  it('gives no role but admin key, user or inbox administration', () => {
    for (const role of ROLES.filter((r) => r !== 'admin'))
      for (const scope of ADMINISTRATION) expect(ROLE_SCOPES[role]).not.toContain(scope);
  });

  it('lets no role but admin or DPO write consent or read the audit log', () => {
    for (const role of ['crm_admin', 'viewer'] as const) {
      expect(ROLE_SCOPES[role]).not.toContain('consent:write');
      expect(ROLE_SCOPES[role]).not.toContain('audit:read');
    }
  });

  it('lets a CRM admin manage connections and retry deliveries, but not write the registry', () => {
    expect(ROLE_SCOPES.crm_admin).toContain('connections:admin');
    expect(ROLE_SCOPES.crm_admin).toContain('deliveries:retry');
    expect(ROLE_SCOPES.crm_admin).not.toContain('registry:write');
  });
});

describe(isRole.name, () => {
  it('accepts the four roles', () => {
    for (const role of ['admin', 'crm_admin', 'dpo', 'viewer']) expect(isRole(role)).toBe(true);
  });

  it('rejects anything else, including a scope or another case', () => {
    for (const value of ['', 'root', 'Admin', 'registry:read', 'superuser'])
      expect(isRole(value)).toBe(false);
  });
});

describe(scopesBeyond.name, () => {
  it('lists what is wanted but not held, in the order wanted', () => {
    expect(scopesBeyond(['audit:read', 'overview:read', 'keys:admin'], ['overview:read'])).toEqual([
      'audit:read',
      'keys:admin',
    ]);
  });

  it('puts no role above an admin, and every other role above a viewer', () => {
    for (const role of ROLES) expect(scopesBeyond(ROLE_SCOPES[role], ROLE_SCOPES.admin)).toEqual([]);
    for (const role of ROLES.filter((r) => r !== 'viewer'))
      expect(scopesBeyond(ROLE_SCOPES[role], ROLE_SCOPES.viewer).length).toBeGreaterThan(0);
  });

  it('puts a DPO and a CRM admin above each other: neither role contains the other', () => {
    expect(scopesBeyond(ROLE_SCOPES.dpo, ROLE_SCOPES.crm_admin)).toContain('audit:read');
    expect(scopesBeyond(ROLE_SCOPES.crm_admin, ROLE_SCOPES.dpo)).toEqual(['connections:admin']);
  });
});
