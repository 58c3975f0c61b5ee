/**
 * The DAG facts helper lives in @ferry/kinds (packages/kinds/src/dags/facts/):
 * the DAG kind's plan reads the same facts to find backfill ranges, and
 * @ferry/kinds cannot depend on @ferry/checks (checks depends on kinds).
 */
export { collectFacts, PythonFailed, PythonMissing, type ArgState, type DagFact, type FileFacts, type Position, type SyntaxErrorFact, type TopLevelCall } from '@ferry/kinds';
