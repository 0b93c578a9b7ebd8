// ESLint rule: the module graph of src/ as docs/architecture.md draws it. A file may import another
// module only if its module is allowed to depend on that one (the graph below, which must stay acyclic),
// and only through that module's public entry (its index.ts) — or, for foreign-key metadata only, its
// entity classes (entities/). Platform and config are libraries: modules use their parts directly, and
// they import no module. Tests and benchmarks are outside the graph.
import { dirname, relative, resolve, sep } from 'node:path';

/** Allowed direct dependencies between modules (src/modules/<name>); platform and config are implied. */
export const MODULE_DEPENDENCIES = {
  audit: [],
  auth: ['audit'],
  settings: [],
  inbox: [],
  relay: ['inbox'],
  ledger: ['inbox', 'relay', 'auth', 'audit', 'settings'],
  whatsapp: ['inbox', 'ledger'],
  vendors: ['ledger', 'audit', 'auth'],
  connectors: ['vendors', 'inbox', 'ledger', 'audit', 'auth'],
  propagation: ['connectors', 'vendors', 'ledger', 'audit', 'auth'],
  requests: ['propagation', 'connectors', 'vendors', 'ledger', 'inbox', 'audit', 'auth', 'settings'],
  console: [
    'requests',
    'propagation',
    'connectors',
    'vendors',
    'whatsapp',
    'inbox',
    'ledger',
    'audit',
    'auth',
    'settings',
  ],
};
const LIBRARIES = new Set(['platform', 'config']);

function assertAcyclic(graph) {
  const state = new Map();
  const visit = (node, path) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open')
      throw new Error(`module-boundaries: cycle ${[...path, node].join(' -> ')}`);
    state.set(node, 'open');
    for (const next of graph[node] ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of Object.keys(graph)) visit(node, []);
}
assertAcyclic(MODULE_DEPENDENCIES);

/** Where a path under src/ lies: a module (with the rest of its path), a library, or elsewhere. */
function place(srcRoot, file) {
  const parts = relative(srcRoot, file).split(sep);
  if (parts[0] === '..') return null;
  if (parts[0] === 'modules' && parts.length >= 2)
    return { kind: 'module', name: parts[1], rest: parts.slice(2) };
  if (LIBRARIES.has(parts[0])) return { kind: 'library', name: parts[0] };
  return { kind: 'entry' };
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Modules depend on each other only along the declared graph, through index.ts' },
    schema: [],
    messages: {
      libraryImportsModule: '{{from}} is a library and must not import the {{to}} module.',
      notAllowed:
        'The {{from}} module may not depend on {{to}} (see MODULE_DEPENDENCIES in eslint-rules/module-boundaries.mjs).',
      deepImport: "Import {{to}} through its public entry ('{{entry}}'), not its internals.",
    },
  },
  create(context) {
    const filename = context.filename;
    const srcRoot = resolve(context.cwd, 'src');
    const from = place(srcRoot, filename);
    if (!from || from.kind === 'entry' || filename.endsWith('.spec.ts')) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = place(srcRoot, resolve(dirname(filename), spec));
      if (target?.kind !== 'module') return;
      if (from.kind === 'module' && target.name === from.name) return;
      if (from.kind === 'library') {
        context.report({
          node,
          messageId: 'libraryImportsModule',
          data: { from: from.name, to: target.name },
        });
        return;
      }
      if (!(MODULE_DEPENDENCIES[from.name] ?? []).includes(target.name)) {
        context.report({ node, messageId: 'notAllowed', data: { from: from.name, to: target.name } });
        return;
      }
      const [first] = target.rest;
      const isEntry = target.rest.length === 0 || (target.rest.length === 1 && first === 'index');
      if (!isEntry && first !== 'entities') {
        const entry = relative(dirname(filename), resolve(srcRoot, 'modules', target.name))
          .split(sep)
          .join('/');
        context.report({ node, messageId: 'deepImport', data: { to: target.name, entry } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { 'module-boundaries': rule } };
