// The layers of docs/architecture.md, checked on the TypeScript compiler's own view of the source:
// every runtime import under src/ must go from a folder to one below it (or stay in its folder),
// and no import cycle may cross folders. `import type` and `export type` are erased at compile
// time, so they do not count; everything else, dynamic import() included, does. A failure names
// each offending edge (file → file) so the fix is plain.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/**
 * Bottom to top: a folder may import its own files and folders of a lower rank, never one of the
 * same or a higher rank. '' is the files directly in src/ (errors.ts, version.ts): leaves anyone
 * may import.
 */
const RANK: Record<string, number> = {
  '': 0,
  protocol: 1,
  hardening: 1,
  store: 2,
  persistence: 3,
  config: 3,
  security: 4,
  server: 5,
  scripting: 6,
  commands: 7,
  cli: 8,
};

/** audit/ stands apart: it reads only the protocol and the shared check table, and only cli/ starts it. */
const AUDIT_MAY_IMPORT = new Set(['', 'protocol', 'hardening', 'audit']);
const AUDIT_IMPORTED_BY = new Set(['cli', 'audit']);

interface Edge {
  readonly from: string;
  readonly to: string;
}

/** The folder of a path relative to src/: its first segment, or '' for a file directly in src/. */
function folderOf(file: string): string {
  const i = file.indexOf('/');
  return i === -1 ? '' : file.slice(0, i);
}

/** Runtime imports between files under src/, as the compiler resolves them. */
function runtimeEdges(): { files: string[]; edges: Edge[] } {
  const configPath = join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const rel = (abs: string): string => relative(SRC, abs).split(sep).join('/');
  const inSrc = (abs: string): boolean => !relative(SRC, abs).startsWith('..') && !abs.endsWith('.d.ts');
  const files: string[] = [];
  const edges: Edge[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!inSrc(sf.fileName)) continue;
    const from = rel(sf.fileName);
    files.push(from);
    const specifiers: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && node.importClause?.phaseModifier !== ts.SyntaxKind.TypeKeyword) {
        if (ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
      } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier !== undefined) {
        if (ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        if (arg !== undefined && ts.isStringLiteral(arg)) specifiers.push(arg.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    for (const spec of specifiers) {
      if (!spec.startsWith('.')) continue;
      const resolved = ts.resolveModuleName(spec, sf.fileName, parsed.options, ts.sys).resolvedModule;
      if (resolved === undefined) throw new Error(`${from}: cannot resolve '${spec}'`);
      if (inSrc(resolved.resolvedFileName)) edges.push({ from, to: rel(resolved.resolvedFileName) });
    }
  }
  return { files, edges };
}

/** Why an import from one folder into another breaks the layers, or null when it does not. */
function violation(fromFolder: string, toFolder: string): string | null {
  if (fromFolder === toFolder) return null;
  if (fromFolder === 'audit') return AUDIT_MAY_IMPORT.has(toFolder) ? null : 'audit/ imports only protocol/ and hardening/';
  if (toFolder === 'audit') return AUDIT_IMPORTED_BY.has(fromFolder) ? null : 'only cli/ starts the auditor';
  const a = RANK[fromFolder];
  const b = RANK[toFolder];
  if (a === undefined) return `src/${fromFolder}/ has no place in the layers (add it to RANK and docs/architecture.md)`;
  if (b === undefined) return `src/${toFolder}/ has no place in the layers (add it to RANK and docs/architecture.md)`;
  if (b < a) return null;
  return b === a ? 'folders of the same layer do not import each other' : 'imports a higher layer';
}

/** Strongly connected components of the file graph (Tarjan), those of more than one file. */
function cycles(files: readonly string[], edges: readonly Edge[]): string[][] {
  const out = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) out.get(e.from)?.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let next = 0;
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (;;) {
        const w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1) result.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) strong(f);
  return result;
}

const graph = runtimeEdges();

test('the compiler sees the whole source tree', () => {
  // A broken walk (wrong root, nothing resolved) must not pass as "no violations".
  assert.ok(graph.files.length > 100, `only ${graph.files.length} files under src/`);
  assert.ok(graph.edges.length > 300, `only ${graph.edges.length} imports under src/`);
  assert.ok(graph.files.includes('server/dispatcher.ts') && graph.files.includes('cli/main.ts'));
});

test('every runtime import goes down the layers', () => {
  const bad: string[] = [];
  for (const e of graph.edges) {
    const why = violation(folderOf(e.from), folderOf(e.to));
    if (why !== null) bad.push(`src/${e.from} → src/${e.to}: ${why}`);
  }
  if (bad.length > 0) assert.fail(`layer violations (docs/architecture.md):\n  ${bad.join('\n  ')}`);
});

test('no import cycle crosses folders', () => {
  const bad: string[] = [];
  for (const component of cycles(graph.files, graph.edges)) {
    const folders = new Set(component.map(folderOf));
    if (folders.size < 2) continue;
    const inside = new Set(component);
    const crossing = graph.edges.filter((e) => inside.has(e.from) && inside.has(e.to) && folderOf(e.from) !== folderOf(e.to));
    bad.push(
      `a cycle through ${[...folders].map((f) => (f === '' ? 'src/' : `${f}/`)).join(', ')} (${component.length} files); ` +
        `its cross-folder edges:\n    ${crossing.map((e) => `src/${e.from} → src/${e.to}`).join('\n    ')}`,
    );
  }
  if (bad.length > 0) assert.fail(`cross-folder import cycles:\n  ${bad.join('\n  ')}`);
});

test('the check itself catches a violation and a cycle', () => {
  // The rules above, applied to made-up edges: a test that could not fail would prove nothing.
  assert.equal(violation('config', 'server'), 'imports a higher layer');
  assert.equal(violation('config', 'persistence'), 'folders of the same layer do not import each other');
  assert.equal(violation('audit', 'server'), 'audit/ imports only protocol/ and hardening/');
  assert.equal(violation('server', 'audit'), 'only cli/ starts the auditor');
  assert.equal(violation('commands', 'server'), null);
  assert.match(violation('newfolder', 'store') ?? '', /no place in the layers/);
  const files = ['a/x.ts', 'b/y.ts', 'b/z.ts', 'a/w.ts'];
  const found = cycles(files, [
    { from: 'a/x.ts', to: 'b/y.ts' },
    { from: 'b/y.ts', to: 'b/z.ts' },
    { from: 'b/z.ts', to: 'a/x.ts' },
    { from: 'a/w.ts', to: 'a/x.ts' },
  ]);
  assert.deepEqual(found, [['a/x.ts', 'b/y.ts', 'b/z.ts']]);
});
