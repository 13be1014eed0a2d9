// The viewer function against CloudFront Functions' limits (cloudfront-js-2.0):
// - size: the rendered code (with the longest settings) is at most 10 KB;
// - syntax: it parses as an ES module (@babel/parser, from jest's own toolchain), imports only
//   the runtime's `cloudfront` and `crypto` modules, declares `handler`, and uses none of the
//   constructs the runtime 2.0 feature list leaves out (classes, for-of, destructuring, spread,
//   default parameters, optional chaining, ??, generators, async closures, eval/Function,
//   timers, console.log with more than one argument). `node --check` cannot do this: node
//   accepts all of them.
import * as fs from 'node:fs';
import { parse } from '@babel/parser';
import { MAX_FUNCTION_BYTES, renderViewerFunction, VIEWER_FUNCTION_FILE } from '../lib/edge';
import { BASE_CONFIG } from './viewer-function';

const BANNED_NODES: Record<string, string> = {
  ClassDeclaration: 'class', ClassExpression: 'class', ForOfStatement: 'for-of', ObjectPattern: 'destructuring',
  ArrayPattern: 'destructuring', SpreadElement: 'spread', RestElement: 'rest in patterns', AssignmentPattern: 'default parameters',
  OptionalMemberExpression: 'optional chaining', OptionalCallExpression: 'optional chaining', YieldExpression: 'generators',
  ExportNamedDeclaration: 'exports', ExportDefaultDeclaration: 'exports', ImportExpression: 'dynamic import',
  TaggedTemplateExpression: 'tagged templates', NewExpression: 'new (only Error is allowed)',
};
const BANNED_CALLS = new Set(['eval', 'Function', 'setTimeout', 'setInterval', 'setImmediate', 'fetch', 'require']);

function problems(code: string): string[] {
  const found: string[] = [];
  const ast: any = parse(code, { sourceType: 'module', errorRecovery: false });
  const visit = (node: any, inAsync: boolean, depth: number) => {
    if (!node || typeof node.type !== 'string') return;
    if (BANNED_NODES[node.type] && !(node.type === 'NewExpression' && node.callee.name === 'Error')) found.push(`${BANNED_NODES[node.type]} at line ${node.loc.start.line}`);
    if (node.type === 'LogicalExpression' && node.operator === '??') found.push(`?? at line ${node.loc.start.line}`);
    if (node.type === 'CallExpression' && BANNED_CALLS.has(node.callee.name)) found.push(`${node.callee.name}() at line ${node.loc.start.line}`);
    if (node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && node.callee.object.name === 'console' && node.arguments.length > 1) {
      found.push(`console.log with commas at line ${node.loc.start.line}`);
    }
    const fn = /Function/.test(node.type);
    if (fn && node.generator) found.push(`generator at line ${node.loc.start.line}`);
    // Only top-level function declarations may be async (no async closures or arrows).
    if (fn && node.async && !(node.type === 'FunctionDeclaration' && depth === 1)) found.push(`async closure at line ${node.loc.start.line}`);
    for (const [k, v] of Object.entries(node)) {
      if (k === 'loc' || k === 'start' || k === 'end') continue;
      for (const child of Array.isArray(v) ? v : [v]) visit(child, inAsync || (fn && node.async), depth + 1);
    }
  };
  for (const stmt of ast.program.body) {
    if (stmt.type === 'ImportDeclaration') {
      const ok = stmt.specifiers.length === 1 && stmt.specifiers[0].type === 'ImportDefaultSpecifier' && ['cloudfront', 'crypto'].includes(stmt.source.value);
      if (!ok) found.push(`import of ${stmt.source.value}`);
      continue;
    }
    visit(stmt, false, 1);
  }
  const handler = ast.program.body.find((s: any) => s.type === 'FunctionDeclaration' && s.id.name === 'handler');
  if (!handler) found.push('no top-level function handler');
  return found;
}

const source = fs.readFileSync(VIEWER_FUNCTION_FILE, 'utf8');
const longest = renderViewerFunction({
  ...BASE_CONFIG, writes: true, originals: true, results: true, signing: true,
  salt: `r4294967295-${'f'.repeat(12)}`,
});

test('the rendered function fits the 10 KB quota, with room to spare', () => {
  const size = Buffer.byteLength(longest, 'utf8');
  expect(size).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
  expect(size).toBeLessThan(8 * 1024);
  // The check measures the shipped code, comments out.
  expect(size).toBeLessThan(Buffer.byteLength(source));
  // Null model: the check refuses a function over the quota.
  expect(() => renderViewerFunction(BASE_CONFIG, `${source}\nvar pad = '${'x'.repeat(MAX_FUNCTION_BYTES)}';\n`)).toThrow(/over CloudFront's 10240/);
  // ... and comment lines do not count.
  expect(() => renderViewerFunction(BASE_CONFIG, `${source}\n// ${'x'.repeat(MAX_FUNCTION_BYTES)}\n`)).not.toThrow();
});

test('the function uses only what cloudfront-js-2.0 supports', () => {
  expect(problems(longest)).toEqual([]);
});

test('the syntax check catches each banned construct (null model)', () => {
  const samples: [string, RegExp][] = [
    ['class A {}', /class/],
    ['for (const x of [1]) {}', /for-of/],
    ['const { a } = {};', /destructuring/],
    ['f(...[1]);', /spread/],
    ['function g(a = 1) {}', /default parameters/],
    ['var a = b?.c;', /optional chaining/],
    ['var a = b ?? c;', /\?\?/],
    ['var h = async function () {};', /async closure/],
    ['var h = async () => 1;', /async closure/],
    ['eval("1");', /eval/],
    ['console.log("a", "b");', /commas/],
    ["import fs from 'fs';", /import of fs/],
    ['setTimeout(f, 1);', /setTimeout/],
  ];
  for (const [snippet, why] of samples) {
    expect(problems(`${snippet}\nasync function handler(event) { return event.request; }`).join('; ')).toMatch(why);
  }
  expect(problems('function other() {}')).toEqual(['no top-level function handler']);
});

test('the settings go in on the one CONFIG line, as JSON', () => {
  const code = renderViewerFunction({ ...BASE_CONFIG, salt: 'r9-abc' });
  expect(code.match(/^const CONFIG = (.*);$/m)![1]).toBe(JSON.stringify({ ...BASE_CONFIG, salt: 'r9-abc' }));
  // Everything else is the source without its comment lines.
  const withoutComments = source.split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n');
  expect(code.replace(/^const CONFIG = .*;$/m, '')).toBe(withoutComments.replace(/^const CONFIG = .*;$/m, ''));
  expect(code).not.toMatch(/^\s*\/\//m);
  expect(source.match(/^\s*\/\//gm)!.length).toBeGreaterThan(20);
  expect(() => renderViewerFunction(BASE_CONFIG, source.replace(/^const CONFIG = .*;$/m, ''))).toThrow(/found 0/);
  expect(() => renderViewerFunction(BASE_CONFIG, `${source}\nconst CONFIG = {};`)).toThrow(/found 2/);
});
