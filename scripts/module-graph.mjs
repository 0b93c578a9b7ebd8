#!/usr/bin/env node
// Prints the module dependency graph of src/ (modules = src/modules/<name>, plus platform, config, root):
// edges with import counts, cycles between modules, and deep imports (into another module's internals
// rather than its index.ts). Used to report the graph; the lint rule enforces it.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const src = join(root, 'src');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.spec.ts')) files.push(p);
  }
})(src);

const moduleOf = (file) => {
  const parts = relative(src, file).split(sep);
  if (parts[0] === 'modules') return parts[1].replace(/\.ts$/, '');
  if (parts.length === 1) return '(entry)';
  return parts[0];
};
const edges = new Map();
const deep = [];
const importRe = /(?:from\s+|import\s*\(\s*|require\(\s*)['"](\.[^'"]+)['"]/g;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const from = moduleOf(file);
  for (const m of text.matchAll(importRe)) {
    const target = resolve(dirname(file), m[1]);
    const to = moduleOf(target + '.ts');
    if (to === from) continue;
    const key = `${from} -> ${to}`;
    edges.set(key, (edges.get(key) ?? 0) + 1);
    const rel = relative(src, target).split(sep);
    if (
      rel[0] === 'modules' &&
      from !== '(entry)' &&
      !(rel.length === 2 || rel[2] === 'index' || rel[2] === 'entities')
    )
      deep.push(`${relative(root, file)} -> ${relative(root, target)}`);
  }
}
const graph = new Map();
for (const key of edges.keys()) {
  const [a, b] = key.split(' -> ');
  if (!graph.has(a)) graph.set(a, new Set());
  graph.get(a).add(b);
}
// Cycles: strongly connected components with more than one module.
let index = 0;
const idx = new Map(),
  low = new Map(),
  onStack = new Set(),
  stack = [],
  sccs = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) sccs.push(comp.sort());
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);
console.log('edges:');
for (const [k, n] of [...edges].sort()) console.log(`  ${k} (${n})`);
console.log(`cycles: ${sccs.length ? sccs.map((c) => c.join(' <-> ')).join('; ') : 'none'}`);
console.log(`deep imports into another module: ${deep.length}`);
if (process.argv.includes('--verbose')) for (const d of deep) console.log('  ' + d);
