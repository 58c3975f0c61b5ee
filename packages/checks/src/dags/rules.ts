import type { Severity } from '../types.js';

export type RuleSetting = Severity | 'off';

export interface DagRule {
  /** DAG0xx: integrity (can Airflow load it, under which id); DAG1xx: policy. */
  id: string;
  /** ruff-style kebab-case name, shown next to the id. */
  name: string;
  severity: Severity;
  /** false: ferry.yml may change the severity but not turn the rule off. */
  canTurnOff: boolean;
  description: string;
  /** How to fix it; every finding of the rule carries it. */
  hint: string;
}

/** The rules of the `dags` check, with their defaults; `checks.dags.rules` in ferry.yml overrides severities. */
export const DAG_RULES: readonly DagRule[] = [
  {
    id: 'DAG001',
    name: 'syntax-error',
    severity: 'error',
    canTurnOff: false,
    description: 'The file is not valid Python (or not valid UTF-8, or contains a null byte): Airflow cannot import it, and every DAG in it disappears from the UI.',
    hint: 'Fix the file at the reported position; `python3 -m py_compile <file>` checks it locally.',
  },
  {
    id: 'DAG002',
    name: 'duplicate-dag-id',
    severity: 'error',
    canTurnOff: true,
    description: 'Two DAGs declare the same dag_id. Airflow keeps only one of them (which one depends on parse order); the other never runs.',
    hint: 'Give every DAG a unique dag_id, e.g. prefixed with its team or folder.',
  },
  {
    id: 'DAG003',
    name: 'dynamic-dag-id',
    severity: 'warning',
    canTurnOff: true,
    description: 'The dag_id cannot be determined without running the file (f-string, variable, call, loop, …), so it cannot be checked for duplicates.',
    hint: 'Use a string literal or a module-level constant; for generated DAGs, set DAG003 to off in checks.dags.rules.',
  },
  {
    id: 'DAG004',
    name: 'dag-function-not-called',
    severity: 'error',
    canTurnOff: true,
    description: 'A function decorated with @dag is never called, so Airflow registers no DAG from it.',
    hint: 'Call the function at module level, after its definition: `my_dag()`.',
  },
  {
    id: 'DAG005',
    name: 'import-error',
    severity: 'error',
    canTurnOff: true,
    description: 'Importing the file with Airflow (DagBag, when Airflow is installed on the runner) failed.',
    hint: 'Reproduce with `python <file>` where the same Airflow and providers are installed; packages the DAG needs belong in the runtime image.',
  },
  {
    id: 'DAG101',
    name: 'missing-owner',
    severity: 'warning',
    canTurnOff: true,
    description: 'default_args sets no owner: the DAG shows the default owner "airflow", and nobody is accountable for its failures.',
    hint: 'Add "owner": "<team>" to default_args.',
  },
  {
    id: 'DAG102',
    name: 'missing-retries',
    severity: 'warning',
    canTurnOff: true,
    description: 'default_args sets no retries: tasks get the installation default (0 unless [core] default_task_retries is set) and fail on the first transient error.',
    hint: 'Add "retries": <n> to default_args (0 explicitly when tasks must never be retried).',
  },
  {
    id: 'DAG103',
    name: 'implicit-catchup',
    severity: 'warning',
    canTurnOff: true,
    description: 'catchup is not passed: the default depends on the installation ([scheduler] catchup_by_default; True in Airflow 2, False in Airflow 3), so a new DAG may backfill every interval since its start_date.',
    hint: 'Pass catchup=False (or catchup=True when backfills are intended).',
  },
  {
    id: 'DAG104',
    name: 'start-date-from-now',
    severity: 'error',
    canTurnOff: true,
    description: 'start_date is computed from the current time (datetime.now(), days_ago(), pendulum.now(), …): it moves on every parse, so intervals may never be scheduled.',
    hint: 'Use a fixed date, e.g. start_date=pendulum.datetime(2024, 1, 1, tz="UTC").',
  },
  {
    id: 'DAG105',
    name: 'top-level-airflow-call',
    severity: 'error',
    canTurnOff: true,
    description: 'A Variable, connection or database call runs when the file is imported: the scheduler repeats it on every parse of the file (every 30 s by default), loading the metadata database or secrets backend and slowing parsing down.',
    hint: 'Move the call into a task, or use a template such as "{{ var.value.my_var }}" or "{{ conn.my_conn.host }}".',
  },
  {
    id: 'DAG106',
    name: 'missing-tags',
    severity: 'warning',
    canTurnOff: true,
    description: 'The DAG has no tags (or an empty list): tags are how people find and filter DAGs in the UI.',
    hint: 'Add tags, e.g. tags=["<team>", "<domain>"].',
  },
  {
    id: 'DAG107',
    name: 'missing-schedule',
    severity: 'warning',
    canTurnOff: true,
    description: 'No schedule is passed (schedule, schedule_interval or timetable): Airflow 2 then runs the DAG daily, Airflow 3 only when triggered, so its behaviour changes on upgrade.',
    hint: 'Pass schedule="@daily" (or a cron expression), or schedule=None for DAGs that are only triggered.',
  },
];

export const DAG_RULE_IDS = DAG_RULES.map((r) => r.id);

export function ruleById(id: string): DagRule | undefined {
  return DAG_RULES.find((r) => r.id === id);
}
