import { z } from 'zod';

/**
 * The `checks:` section of ferry.yml: what lint-and-test / `ferry check` run.
 * DAG integrity, config and dbt-contract validation always run for declared
 * artifacts; external tools run only when listed here.
 */

const severity = z.enum(['error', 'warning', 'off']);
const relPaths = z.array(z.string().min(1)).min(1);

const tool = <T extends z.ZodRawShape>(extra: T, what: string) =>
  z.strictObject({
    paths: relPaths.describe('Files or folders to check, relative to the folder holding ferry.yml.'),
    args: z.array(z.string()).default([]).describe('Extra arguments, passed as they are (never through a shell).'),
    command: z.array(z.string().min(1)).min(1).optional().describe(`The command to run instead of the default ${what} (argv, e.g. ["python3", "-m", "pytest"]).`),
    severity: z.enum(['error', 'warning']).default('error').describe('Severity of the findings this tool reports.'),
    timeout: z.int().min(1).max(7200).default(600).describe('Seconds before the tool is stopped.'),
    ...extra,
  });

export const ChecksSchema = z
  .strictObject({
    fail_on: z.enum(['error', 'warning', 'never']).default('error').describe('Fail on findings of this severity or worse (the action input and CLI option override it).'),
    dags: z
      .strictObject({
        rules: z
          .record(z.string().regex(/^DAG\d{3}$/, 'rule ids look like DAG101'), severity)
          .default({})
          .describe('Severity per rule id (error, warning or off); rules not listed keep their defaults.'),
        import_check: z
          .union([z.boolean(), z.literal('auto')])
          .default('auto')
          .describe('Also import every DAG file with Airflow (DagBag) when Airflow is importable: auto, true (required) or false.'),
        python: z.string().min(1).default('python3').describe('Python interpreter used to parse DAG files.'),
      })
      .default({ rules: {}, import_check: 'auto', python: 'python3' })
      .describe('DAG integrity: syntax, DAG ids, duplicate ids and policy rules, without Airflow installed.'),
    sqlfluff: tool({ dialect: z.string().optional().describe('SQL dialect (otherwise from .sqlfluff).') }, 'sqlfluff lint').optional(),
    yamllint: tool({ config: z.string().optional().describe('yamllint configuration file.') }, 'yamllint').optional(),
    flake8: tool({}, 'flake8').optional(),
    ruff: tool({}, 'ruff check').optional(),
    pytest: tool({}, 'pytest').optional(),
    dbt: z
      .strictObject({
        command: z.array(z.string().min(1)).min(1).default(['dbt', 'build']).describe('dbt command (argv), e.g. ["dbt", "test", "--target", "ci"].'),
        project_dir: z.string().optional().describe('dbt project folder (default: artifacts.dbt.path).'),
        run_results: z.string().default('target/run_results.json').describe('run_results.json written by the command, relative to the project folder.'),
        timeout: z.int().min(1).max(7200).default(3600),
      })
      .optional()
      .describe('Run dbt test / dbt build and report its run_results.json.'),
  })
  .describe('What lint-and-test and `ferry check` run.');

export type ChecksConfig = z.output<typeof ChecksSchema>;
export type ToolConfig = NonNullable<ChecksConfig['flake8']>;
