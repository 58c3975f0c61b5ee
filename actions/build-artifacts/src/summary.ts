import type { ReleaseManifest } from '@ferry/core';

export function releaseSummary(m: ReleaseManifest, dir: string, created: boolean, tag?: string): string {
  const rows = m.artifacts.map((a) => `| ${a.kind} | ${a.files.length} | ${a.bundle ? `\`${a.bundle.path}\` (${a.bundle.size} bytes)` : ''} |`);
  return [
    `### ferry release ${m.project} ${m.version}`,
    '',
    `- id: \`${m.id}\`${created ? '' : ' (already built: same content)'}`,
    `- commit: \`${m.git.commit}\` (${m.git.ref})${m.git.dirty ? ' with uncommitted changes' : ''}`,
    ...(tag ? [`- tag: \`${tag}\``] : []),
    `- path: \`${dir}\``,
    '',
    '| kind | files | bundle |',
    '|---|---:|---|',
    ...rows,
    '',
  ].join('\n');
}
