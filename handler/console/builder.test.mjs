// node --test handler/console/: the builder's URL logic on its own. The check against
// the service's own parser, for every key's README example, is handler/tests/console.rs
// (it runs builder-cases.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPath, buildQuery, decodeComponent, encodeKeyPath, encodeValue, parseQuery, problems } from './builder.js';

const table = {
  keys: [
    { name: 'w', bare: null },
    { name: 'h', bare: null },
    { name: 'bg', bare: null },
    { name: 'flip', bare: 'true' },
    { name: 'jc', bare: null },
    { name: 'fm', bare: null },
  ],
};

test('keys come out in table order, bare keys without =, unknown keys dropped', () => {
  const state = new Map([['fm', 'webp'], ['flip', ''], ['w', '300'], ['v', '3']]);
  assert.equal(buildQuery(table, state), 'w=300&flip&fm=webp');
});

test('values that would end or split a value are escaped; JSON stays readable', () => {
  assert.equal(encodeValue('#ff0000'), '%23ff0000');
  assert.equal(encodeValue('a&b=c+d;e%f g'), 'a%26b%3Dc%2Bd%3Be%25f%20g');
  assert.equal(encodeValue('{"top":10,"left":2}'), '%7B%22top%22:10,%22left%22:2%7D');
  assert.equal(encodeValue('rgba(255,0,0,0.5)'), 'rgba(255,0,0,0.5)');
});

test('paths escape each segment of the key, never the slashes between them', () => {
  assert.equal(encodeKeyPath('albums/a b/c?#%.jpg'), 'albums/a%20b/c%3F%23%25.jpg');
  assert.equal(buildPath(table, '/cat.jpg', new Map()), '/cat.jpg');
  assert.equal(buildPath(table, 'cat.jpg', new Map([['w', '1']])), '/cat.jpg?w=1');
});

test('decoding is the service\'s: + is a space, one round, bad bytes replaced', () => {
  assert.equal(decodeComponent('a+b%20c'), 'a b c');
  assert.equal(decodeComponent('%2541'), '%41');
  assert.equal(decodeComponent('%C3%BC%zz'), 'ü%zz');
  assert.equal(decodeComponent('%FFx'), '\uFFFDx');
});

test('a query reads back into the state it was built from', () => {
  const state = new Map([['w', '300'], ['bg', '#ff0000'], ['flip', ''], ['jc', '["a&b.png","c+d.png"]']]);
  const { state: back, repeated } = parseQuery(table, buildQuery(table, state));
  assert.deepEqual([...back].sort(), [...state].sort());
  assert.deepEqual(repeated, []);
});

test('a wrong encoder is caught by the round trip', () => {
  // What the check above guards against: values written raw lose their & and +.
  const state = new Map([['jc', '["a&b.png","c+d.png"]']]);
  const raw = buildQuery(table, state, (v) => v);
  assert.notDeepEqual([...parseQuery(table, raw).state], [...state]);
});

test('signature keys and cache busters are not builder state; repeats are named', () => {
  const { state, repeated } = parseQuery(table, '?w=1&s=abc&kid=k1&exp=9&v=3&w=2&flip=');
  assert.deepEqual([...state], [['w', '1'], ['flip', '']]);
  assert.deepEqual(repeated, ['w']);
});

test('an empty value where the key has no bare meaning is a problem', () => {
  assert.deepEqual(problems(table, new Map([['w', ''], ['flip', '']])), ['w needs a value']);
});
