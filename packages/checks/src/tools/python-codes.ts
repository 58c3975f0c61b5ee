/**
 * Python lint codes that mean the code cannot run (syntax errors, undefined
 * names, misplaced return/yield/break, …): the classic `flake8 --select=E9,F63,F7,F82`
 * set, shared by flake8 and ruff. They are errors whatever severity is configured.
 */
export function isFatalPythonCode(code: string): boolean {
  return /^(E9\d\d|F63\d|F7\d\d|F82\d)$/.test(code);
}
