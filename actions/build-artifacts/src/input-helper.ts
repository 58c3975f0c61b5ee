import { inputs } from '@ferry/actions-runner';

export interface BuildSettings {
  configPath: string;
  version?: string;
  tag: boolean;
  githubRelease: boolean;
  token?: string;
}

export function readSettings(): BuildSettings {
  return {
    configPath: inputs.string('config') ?? 'ferry.yml',
    version: inputs.string('version'),
    tag: inputs.boolean('tag'),
    githubRelease: inputs.boolean('github-release'),
    token: inputs.secret('token'),
  };
}
