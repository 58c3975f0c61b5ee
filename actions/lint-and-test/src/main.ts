import fs from 'node:fs';
import path from 'node:path';
import { ReportedFailure, runAction } from '@ferry/actions-runner';
import { fails, headline, pickAnnotations, reportJunit, reportMarkdown, runChecks, sortFindings } from '@ferry/checks';
import { loadConfig, toPosix } from '@ferry/core';
import { readSettings } from './input-helper.js';

await runAction('lint-and-test', async (runner) => {
  const s = readSettings();
  const config = loadConfig(path.resolve(s.configPath));
  const report = await runChecks(config, runner, { only: s.only });

  fs.mkdirSync(path.dirname(s.reportPath), { recursive: true });
  fs.writeFileSync(s.reportPath, reportJunit(report));
  fs.writeFileSync(s.reportPath.replace(/(\.xml)?$/, '.json'), JSON.stringify(report, null, 2) + '\n');

  // Annotations resolve against the repository root; findings are relative to ferry.yml's folder.
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const toRepo = (p: string) => toPosix(path.relative(workspace, path.join(config.root, p)));
  for (const a of pickAnnotations(sortFindings(report.checks.flatMap((c) => c.findings)), toRepo, { where: 'the job summary and the JUnit report' })) runner.annotate(a);
  runner.appendSummary(reportMarkdown(report, { fullReport: 'the JUnit report (output report-path)' }));

  runner.setOutput('errors', String(report.counts.error));
  runner.setOutput('warnings', String(report.counts.warning));
  runner.setOutput('report-path', s.reportPath);
  if (fails(report, s.failOn ?? config.checks.fail_on)) throw new ReportedFailure(headline(report));
  runner.info(`lint-and-test: ${headline(report)}`);
});
