import { jsonSchema } from './schema.js';

/** The committed ferry.schema.json, byte for byte. */
export function schemaFileContent(): string {
  return JSON.stringify({ title: 'ferry.yml', ...jsonSchema() }, null, 2) + '\n';
}
