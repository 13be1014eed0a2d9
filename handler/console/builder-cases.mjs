// For handler/tests/console.rs: reads {"table": <GET /_/params>, "cases": [{"key", "query"}],
// "encoder": "builder" | "raw"} from the file named by the first argument, and prints a
// JSON array with, for each case, the path the builder makes for `key` from the state
// it reads out of `query`. The Rust side parses each path as the service does and
// compares canonical forms; the "raw" encoder (values written unescaped) is the wrong
// generator that comparison must catch.
import { readFileSync } from 'node:fs';
import { buildPath, encodeKeyPath, encodeValue, parseQuery } from './builder.js';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const encoders = { builder: encodeValue, raw: (value) => value };
const encode = encoders[input.encoder];
if (!encode) throw new Error(`unknown encoder ${input.encoder}`);
const rawKey = input.encoder === 'raw';

const paths = input.cases.map(({ key, query }) => {
  const { state } = parseQuery(input.table, query);
  const path = buildPath(input.table, key, state, encode);
  // The wrong generator writes the key raw as well.
  return rawKey ? path.replace(`/${encodeKeyPath(key)}`, `/${key}`) : path;
});
process.stdout.write(JSON.stringify(paths));
