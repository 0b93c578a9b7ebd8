import { readFileSync } from 'node:fs';

export interface Route {
  method: string;
  path: string;
}

/**
 * Every method × path of Fastify's printed router (`printRoutes({ commonPrefix: true })`, as
 * test/setup/e2e-global-setup.ts writes it), with the lines that could not be read. Each line is one node
 * of the radix tree, four columns deeper than its parent, followed by the methods of the routes ending
 * there (the same reading as test/e2e/route-auth.e2e.spec.ts, which documents the format).
 */
export function routesOfTable(printed: string): { routes: Route[]; unreadable: string[] } {
  const routes: Route[] = [];
  const unreadable: string[] = [];
  const prefixes: string[] = [];
  for (const line of printed.split('\n')) {
    if (!line.trim()) continue;
    const match = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z]+(?:, [A-Z]+)*)\))?$/.exec(line);
    if (!match) {
      unreadable.push(line);
      continue;
    }
    const depth = match[1].length / 4;
    // A parameter named differently by two routes prints as ":a|:b"; either name will do.
    const label = match[2].split('|')[0];
    const path = (depth > 0 ? prefixes[depth - 1] : '') + label;
    prefixes.length = depth;
    prefixes[depth] = path;
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, path });
  }
  return { routes, unreadable };
}

/** The route table the e2e global setup printed from a started app (CG_TEST_ROUTE_TABLE). */
export function routeTableAtSetup(): string {
  const file = process.env.CG_TEST_ROUTE_TABLE;
  if (!file) throw new Error('CG_TEST_ROUTE_TABLE is not set: run the e2e tier through jest (npm test)');
  return readFileSync(file, 'utf8');
}
