import { isNamedAction } from '../../src/modules/audit/audit-actions';
import { routesOfTable, routeTableAtSetup } from '../support/route-table';

/**
 * The audit log names every action in plain words: each route that changes something (every unsafe method of
 * the API, as the running app's router lists them) has its name in audit-actions.ts, so a route added later
 * without one fails here instead of appearing as "Created or ran vendors dpas".
 */
describe('the audit log’s names for actions', () => {
  it('has a plain-words name for every route of the API that changes something', () => {
    const { routes, unreadable } = routesOfTable(routeTableAtSetup());
    expect(unreadable).toEqual([]);
    const changing = routes.filter(
      (r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && r.path.startsWith('/v1/'),
    );
    expect(changing.length).toBeGreaterThan(20);
    const unnamed = changing.map((r) => `${r.method} ${r.path}`).filter((action) => !isNamedAction(action));
    expect(unnamed).toEqual([]);
  });
});
