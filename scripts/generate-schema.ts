// Writes ferry.schema.json (the JSON Schema of ferry.yml) from the zod schema,
// its single source. `pnpm schema` regenerates it; a test fails when the
// committed file is stale.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFileContent } from '../packages/core/src/config/json-schema.js';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'ferry.schema.json');
fs.writeFileSync(out, schemaFileContent());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
