import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { REPO_ROOT } from '../../harness/repo';

/**
 * The house's rooms, checked: every TypeScript file of src/, harness/, bench/ and test/, its relative imports
 * resolved to files. No import circle anywhere (type-only imports count: a circle of types is still a tangle a
 * reader must hold in their head); workflows name activities as types only, and activities never import
 * workflows; the running service never imports its tooling; the bench and the harness never import tests.
 */

interface Edge {
  to: string;
  typeOnly: boolean;
}

const FOLDERS = ['src', 'harness', 'bench', 'test'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string, files: Set<string>): string | null {
  const base = join(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (files.has(candidate)) return candidate;
  }
  return null;
}

function importsOf(file: string, files: Set<string>): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const edges: Edge[] = [];
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
    const to = resolveImport(file, specifier.text, files);
    if (to) edges.push({ to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const namedTypesOnly =
        !!clause &&
        !clause.name &&
        !!clause.namedBindings &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, !!clause && (clause.isTypeOnly || namedTypesOnly));
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1) {
      const callee = node.expression.getText(source);
      if (
        ['require', 'require.resolve', 'jest.mock'].includes(callee) ||
        node.expression.kind === ts.SyntaxKind.ImportKeyword
      ) {
        add(node.arguments[0], false);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const files = FOLDERS.flatMap((folder) => tsFiles(join(REPO_ROOT, folder)));
const fileSet = new Set(files);
const graph = new Map(files.map((file) => [file, importsOf(file, fileSet)]));
const name = (file: string) => relative(REPO_ROOT, file);
const inFolder = (file: string, folder: string) => name(file).startsWith(`${folder}/`);

/** Every strongly connected group of more than one file (Tarjan), or a file importing itself. */
function circles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (file: string) => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const { to } of graph.get(file) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(name(member));
      } while (member !== file);
      const selfImport = graph.get(file)!.some((e) => e.to === file);
      if (group.length > 1 || selfImport) found.push(group.sort());
    }
  };
  for (const file of files) if (!index.has(file)) connect(file);
  return found;
}

const imports = (fromFolder: string, toFolder: string, which: (e: Edge) => boolean = () => true) =>
  files
    .filter((f) => inFolder(f, fromFolder))
    .flatMap((f) =>
      graph
        .get(f)!
        .filter((e) => inFolder(e.to, toFolder) && which(e))
        .map((e) => `${name(f)} → ${name(e.to)}`),
    );

describe('the import graph', () => {
  it('reads the whole tree', () => {
    expect(files.length).toBeGreaterThan(200);
    // The checks would pass on an empty graph: they must see the ticket workflow's imports (types included).
    const steps = graph.get(join(REPO_ROOT, 'src', 'workflows', 'ticket-steps.ts'))!;
    expect(steps.map((e) => name(e.to))).toEqual(
      expect.arrayContaining(['src/reply/decision.ts', 'src/activities/index.ts']),
    );
  });

  it('has no import circle', () => {
    expect(circles()).toEqual([]);
  });

  it('workflows name activities as types only, and activities never import workflows', () => {
    expect(imports('src/workflows', 'src/activities', (e) => !e.typeOnly)).toEqual([]);
    expect(imports('src/activities', 'src/workflows')).toEqual([]);
  });

  it('the running service never imports its tooling, and pure reply logic has no side effects to import', () => {
    const service = [
      'server',
      'worker',
      'workflows',
      'activities',
      'reply',
      'gorgias',
      'policy',
      'config',
      'temporal',
    ];
    expect(service.flatMap((folder) => imports(`src/${folder}`, 'src/tools'))).toEqual([]);
    expect(
      ['workflows', 'activities', 'worker', 'server'].flatMap((f) => imports('src/reply', `src/${f}`)),
    ).toEqual([]);
  });

  it('the bench and the harness never import tests, and the service never imports either', () => {
    expect([...imports('bench', 'test'), ...imports('harness', 'test')]).toEqual([]);
    expect([...imports('src', 'harness'), ...imports('src', 'bench'), ...imports('src', 'test')]).toEqual([]);
  });
});
