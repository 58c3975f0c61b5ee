import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { actionNames, readActionYml, readmeDifferences, renderReadme, tableRows, type ActionYml } from '../../scripts/action-readme.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('per-action READMEs', () => {
  it.each(actionNames(root))('actions/%s/README.md: usage, and inputs/outputs tables equal to action.yml (run `pnpm readmes` when this fails)', (name) => {
    const file = path.join(root, 'actions', name, 'README.md');
    expect([name, fs.existsSync(file)]).toEqual([name, true]);
    const readme = fs.readFileSync(file, 'utf8');
    expect(readme).toMatch(/^## Usage$/m);
    expect(readme).toContain(`actions/${name}@`);
    expect(readmeDifferences(name, readme, readActionYml(path.join(root, 'actions', name)))).toEqual([]);
  });
});

describe('readmeDifferences', () => {
  const action: ActionYml = {
    name: 'ferry demo',
    description: 'A demo action.',
    inputs: {
      environment: { description: 'Environment name.', required: true },
      mode: { description: 'a | b, or\nc', required: false, default: 'a' },
    },
    outputs: { status: { description: 'What happened.' } },
  };
  const good = renderReadme('demo', action, undefined);

  it('passes a generated README and escapes pipes and newlines into one row', () => {
    expect(readmeDifferences('demo', good, action)).toEqual([]);
    expect(tableRows(action, 'inputs').get('mode')).toBe('| `mode` | a \\| b, or<br>c | no | `a` |');
    // Regenerating keeps the prose around the tables and changes nothing else.
    const withProse = good.replace('## Usage', 'Some prose.\n\n## Usage');
    expect(renderReadme('demo', action, withProse)).toBe(withProse);
  });

  it('names the action and the input or output that differs, is missing or is extra', () => {
    const changed = { ...action, inputs: { ...action.inputs, environment: { description: 'Where to deploy.', required: true }, token: { description: 'A token.', default: '' } } };
    delete (changed.inputs as Record<string, unknown>).mode;
    const p = readmeDifferences('demo', good, changed).join('\n');
    expect(p).toContain('actions/demo/README.md: input `environment` differs from action.yml');
    expect(p).toContain('actions/demo/README.md: input `token` of action.yml is missing from the inputs table');
    expect(p).toContain('actions/demo/README.md: input `mode` is not in action.yml');
    const noOutputs = { ...action, outputs: {} };
    expect(readmeDifferences('demo', good, noOutputs)).toEqual(['actions/demo/README.md: output `status` is not in action.yml']);
  });

  it('fails a README without the table markers', () => {
    expect(readmeDifferences('demo', '# demo\n', action)).toEqual([
      'actions/demo/README.md: no <!-- ferry:inputs --> … <!-- /ferry:inputs --> table (run `pnpm readmes`)',
      'actions/demo/README.md: no <!-- ferry:outputs --> … <!-- /ferry:outputs --> table (run `pnpm readmes`)',
    ]);
  });
});
