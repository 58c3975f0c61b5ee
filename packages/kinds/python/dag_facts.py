#!/usr/bin/env python3
"""ferry DAG facts: what an Airflow DAG file declares, read with `ast` only.

Runs as one long-lived process. Reads one JSON request per line on stdin,
{"file": "/abs/path.py"} or a batch {"files": ["/abs/a.py", ...]}, and answers
with one JSON line per file on stdout, in order, flushed at the end of each
request (and every 256 files of a batch). The first line it writes is a greeting: {"hello": "ferry-dag-facts",
"protocol": 1, "python": "3.11.7"}. Each file is read and parsed exactly once;
nothing is imported or executed.

It reports facts, never verdicts: which DAGs a file declares and how, what
their arguments say (set / missing / unknown), the static values of schedule,
start_date and catchup where they are literals (null, with the reason in
`not_static`, where they are not), and which Airflow Variable, connection or
database calls run at import time. ferry's `dags` check turns them into
findings with configurable severities; the DAG kind's plan turns the values of
two releases into backfill ranges.

Standard library only; runs on Python 3.8 and newer (and says so, instead of
failing obscurely, on older ones). Source of the copy embedded in ferry's
bundle (packages/kinds/src/dags/facts/dag-facts-script.ts): after editing, run
`node --import tsx scripts/embed-python.ts`.
"""
import ast
import bisect
import datetime
import io
import json
import re
import sys
import tokenize
import warnings

PROTOCOL = 1

# How DAGs are spelled. Attribute access counts by its last name (airflow.DAG,
# models.DAG, airflow.decorators.dag); import aliases are followed.
DAG_CLASS = "DAG"
DAG_DECORATOR = "dag"
TASK_GROUP_DECORATOR = "task_group"
SCHEDULE_KEYS = ("schedule", "schedule_interval", "timetable")

# A call to one of these makes start_date move with the clock.
NOW_CALLS = {"now", "utcnow", "today", "days_ago", "yesterday", "tomorrow"}
NOW_DOTTED = {"time.time", "time.time_ns"}

# Work the scheduler repeats on every parse when it sits at module level.
VARIABLE_METHODS = {"get", "set", "get_val", "setdefault", "update", "delete"}
HOOK_METHODS = {
    "get_conn", "get_cursor", "get_records", "get_first", "get_pandas_df", "get_df",
    "get_sqlalchemy_engine", "get_uri", "run", "insert_rows", "test_connection",
}
DBAPI_MODULES = {
    "psycopg2", "psycopg", "sqlite3", "pymysql", "MySQLdb", "mysql.connector", "snowflake.connector",
    "pyodbc", "cx_Oracle", "oracledb", "redshift_connector", "pymssql", "duckdb", "teradatasql", "vertica_python",
}
# Words without which a line cannot hold a call reported above (see FileScan.hot_lines).
CALL_WORDS = {"Variable", "get_connection", "get_connection_from_secrets", "connect", "create_engine"} | HOOK_METHODS

# Static values of schedule, start_date and catchup (for backfill planning). Names are
# compared after following imports: `from datetime import datetime` makes datetime(...)
# "datetime.datetime", `import pendulum as pdl` makes pdl.datetime(...) "pendulum.datetime".
DATETIME_CALLS = {"datetime.datetime": "stdlib", "pendulum.datetime": "pendulum", "airflow.utils.timezone.datetime": "airflow"}
DATETIME_FIELDS = ("year", "month", "day", "hour", "minute", "second", "microsecond")
TIMEDELTA_CALLS = {"datetime.timedelta", "pendulum.duration", "timedelta"}
TIMEDELTA_US = {  # positional order of datetime.timedelta, then the size of one unit in microseconds
    "days": 86400000000, "seconds": 1000000, "microseconds": 1, "milliseconds": 1000,
    "minutes": 60000000, "hours": 3600000000, "weeks": 604800000000,
}
TIMEDELTA_ORDER = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
UTC_NAMES = {
    "datetime.timezone.utc", "datetime.UTC", "pendulum.UTC", "pendulum.tz.UTC", "pytz.utc", "pytz.UTC",
    "dateutil.tz.UTC", "airflow.utils.timezone.utc",
}
ZONE_CALLS = {"pendulum.timezone", "pendulum.tz.timezone", "pendulum.Timezone", "zoneinfo.ZoneInfo", "backports.zoneinfo.ZoneInfo", "pytz.timezone", "dateutil.tz.gettz"}
UTC_ZONES = {"UTC", "utc", "Etc/UTC", "GMT", "Etc/GMT", "Z", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"}
DATA_AWARE = {"Dataset", "Asset", "DatasetAlias", "AssetAlias", "DatasetAll", "DatasetAny", "AssetAll", "AssetAny"}

MAX_DEPTH = 50
_IN_LOOP = object()  # marks a module-level name assigned inside a loop  # resolving names through constants and nested expressions
_STR = str


def dotted(node):
    """'a.b.c' for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def last_name(node):
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def describe_callee(node):
    """Readable name of a call target: 'Variable.get', 'PostgresHook(...).get_records'."""
    d = dotted(node)
    if d is not None:
        return d
    if isinstance(node, ast.Attribute):
        inner = describe_callee(node.value)
        return "%s.%s" % (inner, node.attr)
    if isinstance(node, ast.Call):
        return "%s(...)" % describe_callee(node.func)
    return "<expression>"


def subscript_key(node):
    sl = node.slice
    index = getattr(ast, "Index", None)
    if index is not None and isinstance(sl, index):  # Python 3.8
        sl = sl.value
    if isinstance(sl, ast.Constant) and isinstance(sl.value, _STR):
        return sl.value
    return None


def target_names(target, out):
    stack = [target]
    while stack:
        t = stack.pop()
        if isinstance(t, ast.Name):
            out.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            stack.extend(t.elts)
        elif isinstance(t, ast.Starred):
            stack.append(t.value)
    return out


def is_main_guard(test):
    """if __name__ == "__main__": never runs when Airflow imports the file."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        sides = [test.left, test.comparators[0]]
        names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
        consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
        return bool(names) and bool(consts)
    return False


class Ctx(object):
    """Where a node sits. mode: 'import' (runs when the file is imported),
    ('dagfn', name) (runs when the @dag function `name` is called), or None."""

    __slots__ = ("mode", "loops", "func")

    def __init__(self, mode, loops, func):
        self.mode = mode
        self.loops = loops  # tuple of (what, line, frozenset of loop variable names)
        self.func = func  # innermost enclosing FunctionDef/Lambda, or None

    def with_loop(self, what, line, names):
        return Ctx(self.mode, self.loops + ((what, line, frozenset(names)),), self.func)


MODULE_CTX = Ctx("import", (), None)


class FileScan(object):
    def __init__(self, tree, source):
        self.tree = tree
        self.source = source
        self._lines = None
        self._ascii = _isascii(source)
        self.consts = {}  # module-level name -> [value expressions]
        self.mutations = {}  # module-level name -> [(key or None, value expression)] from NAME[k] = v / NAME.update(...)
        self.module_loop_vars = set()
        self.imported = {}  # local name -> "module" or "module.name"
        self.dag_classes = {DAG_CLASS}
        self.dag_decorators = {DAG_DECORATOR}
        self.group_decorators = {TASK_GROUP_DECORATOR}
        self.with_calls = set()
        self.dags = []
        self.dag_functions = []  # (FunctionDef, fact)
        self.calls_by_name = {}  # name -> set of modes the call runs in
        self.loads = {}  # @dag function name -> number of loads
        self.dag_function_names = set()
        self.hot = []  # sorted line numbers worth walking (see hot_lines)
        self.top_level = []

    # ------------------------------------------------------------ positions

    def lines(self):
        if self._lines is None:
            self._lines = re.split(r"\r\n|\r|\n", self.source)
        return self._lines

    def column(self, node):
        """1-based column in characters (ast gives a 0-based UTF-8 byte offset)."""
        col = node.col_offset
        if self._ascii:
            return col + 1
        lines = self.lines()
        if 0 < node.lineno <= len(lines):
            line = lines[node.lineno - 1]
            if not _isascii(line):
                col = len(line.encode("utf-8")[:col].decode("utf-8", "replace"))
        return col + 1

    def pos(self, node):
        return {"line": node.lineno, "column": self.column(node)}

    # ------------------------------------------------------------ module pre-pass

    def prepass(self):
        """Module-level bindings: constants, imports (and DAG/dag aliases), dict mutations, loop variables."""
        stack = [(st, False) for st in self.tree.body]
        while stack:
            st, looped = stack.pop()
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name):
                        self.consts.setdefault(t.id, []).append(_IN_LOOP if looped else st.value)
                    elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                        self.mutations.setdefault(t.value.id, []).append((subscript_key(t), st.value))
                    else:
                        for n in target_names(t, set()):
                            self.consts.setdefault(n, []).append(None)
            elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None:
                self.consts.setdefault(st.target.id, []).append(_IN_LOOP if looped else st.value)
            elif isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
                self.consts.setdefault(st.target.id, []).append(None)
            elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
                f = st.value.func
                if isinstance(f, ast.Attribute) and f.attr == "update" and isinstance(f.value, ast.Name):
                    muts = self.mutations.setdefault(f.value.id, [])
                    for a in st.value.args:
                        muts.append((None, a))
                    for k in st.value.keywords:
                        muts.append((k.arg, k.value) if k.arg is not None else (None, k.value))
            elif isinstance(st, ast.Import):
                for a in st.names:
                    if a.asname:
                        self.imported[a.asname] = a.name
                    else:
                        self.imported[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(st, ast.ImportFrom):
                mod = st.module or ""
                for a in st.names:
                    local = a.asname or a.name
                    self.imported[local] = "%s.%s" % (mod, a.name) if mod else a.name
                    if mod.split(".")[0] == "airflow" and a.asname:
                        if a.name == DAG_CLASS:
                            self.dag_classes.add(a.asname)
                        elif a.name == DAG_DECORATOR:
                            self.dag_decorators.add(a.asname)
                        elif a.name == TASK_GROUP_DECORATOR:
                            self.group_decorators.add(a.asname)
            elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.consts.setdefault(st.name, []).append(None)
            elif isinstance(st, (ast.For, ast.AsyncFor)):
                target_names(st.target, self.module_loop_vars)
                stack.extend((x, True) for x in st.body)
                stack.extend((x, looped) for x in st.orelse)
            elif isinstance(st, ast.While):
                stack.extend((x, True) for x in st.body)
                stack.extend((x, looped) for x in st.orelse)
            elif isinstance(st, ast.If):
                if not is_main_guard(st.test):
                    stack.extend((x, looped) for x in st.body)
                stack.extend((x, looped) for x in st.orelse)
            elif isinstance(st, (ast.With, ast.AsyncWith)):
                for item in st.items:
                    if item.optional_vars is not None:
                        for n in target_names(item.optional_vars, set()):
                            self.consts.setdefault(n, []).append(None)
                stack.extend((x, looped) for x in st.body)
            elif isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
                for block in [st.body, st.orelse, st.finalbody] + [h.body for h in st.handlers]:
                    stack.extend((x, looped) for x in block)

    def statement_prepass(self):
        """Names and `def` lines of @dag functions, wherever they are (statements only, cheap)."""
        stack = [self.tree]
        def_lines = []
        while stack:
            node = stack.pop()
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                block = getattr(node, field, None)
                if block:
                    stack.extend(block)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if any(self.is_decorator(d, self.dag_decorators, DAG_DECORATOR) for d in node.decorator_list):
                    self.dag_function_names.add(node.name)
                    def_lines.append(node.lineno)
        return def_lines

    def hot_lines(self, def_lines):
        """Lines that can hold something the walk looks for: a DAG call (the word DAG or an alias),
        a reported call (its method or module name), a use of a @dag function (its name), a @dag
        `def`. A node whose lines include none of them is skipped with everything below it, which
        keeps the walk to a fraction of the tree: it never needs to look inside a task definition."""
        words = CALL_WORDS | self.dag_classes | self.dag_function_names
        text = self.source
        if "\r" in text:  # ast counts \r\n, \r and \n as line ends
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        n = len(text)
        hits = []
        for w in words:  # str.find per word: much faster than one regex alternation
            size = len(w)
            i = text.find(w)
            while i >= 0:
                end = i + size
                if not ((i and _ident(text[i - 1])) or (end < n and _ident(text[end]))):
                    hits.append(i)
                i = text.find(w, end)
        hits.sort()
        hot = set(def_lines)
        line, pos = 1, 0
        for i in hits:
            line += text.count("\n", pos, i)
            pos = i
            hot.add(line)
        self.hot = sorted(hot)

    # ------------------------------------------------------------ static values

    def const_value(self, name):
        """The one expression a module-level name is bound to, or (None, why not)."""
        values = self.consts.get(name)
        if name in self.module_loop_vars:
            return None, "loop variable '%s'" % name
        if values is None:
            if name in self.imported:
                return None, "imported name '%s' (from %s)" % (name, self.imported[name])
            return None, "name '%s' is not defined at module level" % name
        if len(values) > 1:
            return None, "variable '%s' is assigned more than once" % name
        if values[0] is _IN_LOOP:
            return None, "variable '%s' is assigned in a loop" % name
        if values[0] is None:
            return None, "variable '%s' is not a simple assignment" % name
        return values[0], None

    def shadowed(self, name, ctx):
        """Why `name` means something local here (parameter, loop variable, local), or None."""
        for what, line, names in reversed(ctx.loops):
            if name in names:
                return "loop variable '%s' (%s at line %d)" % (name, what, line)
        f = ctx.func
        if f is not None:
            a = f.args
            params = [x.arg for x in getattr(a, "posonlyargs", []) + a.args + a.kwonlyargs]
            if a.vararg is not None:
                params.append(a.vararg.arg)
            if a.kwarg is not None:
                params.append(a.kwarg.arg)
            fname = getattr(f, "name", "<lambda>")
            if name in params:
                return "parameter '%s' of %s()" % (name, fname)
            if not isinstance(f, ast.Lambda):
                for n in ast.walk(f):
                    if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store):
                        return "local variable '%s' in %s()" % (name, fname)
        return None

    def static_str(self, node, ctx, depth=0):
        """(value, None) when `node` is a string known without running the file, else (None, reason)."""
        if depth > MAX_DEPTH:
            return None, "expression too deeply nested"
        if isinstance(node, ast.Constant):
            if isinstance(node.value, _STR):
                return node.value, None
            return None, "not a string (%r)" % (node.value,)
        if isinstance(node, ast.JoinedStr):
            if all(isinstance(v, ast.Constant) for v in node.values):
                return "".join(v.value for v in node.values), None
            return None, "f-string"
        if isinstance(node, ast.Name):
            why = self.shadowed(node.id, ctx)
            if why:
                return None, why
            value, why = self.const_value(node.id)
            if value is None:
                return None, why
            v, why = self.static_str(value, MODULE_CTX, depth + 1)
            if why:
                return None, "constant '%s' is not a plain string: %s" % (node.id, why)
            return v, None
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                left, why = self.static_str(node.left, ctx, depth + 1)
                if why:
                    return None, why
                right, why = self.static_str(node.right, ctx, depth + 1)
                if why:
                    return None, why
                return left + right, None
            if isinstance(node.op, ast.Mod):
                return None, "%-formatted string"
            return None, "computed expression"
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
                return None, "str.format() call"
            return None, "result of calling %s()" % describe_callee(node.func)
        if isinstance(node, ast.Attribute):
            return None, "attribute %s" % describe_callee(node)
        if isinstance(node, ast.Subscript):
            return None, "subscript expression"
        return None, "computed expression"

    def resolve_dict(self, node, ctx, depth=0):
        """(keys, complete): keys maps each string key known to be set to its value
        expression; complete is False when some keys cannot be known statically."""
        keys = {}
        if depth > MAX_DEPTH:
            return keys, False
        if isinstance(node, ast.Dict):
            complete = True
            for k, v in zip(node.keys, node.values):
                if k is None:  # {**OTHER}
                    sub, ok = self.resolve_dict(v, ctx, depth + 1)
                    keys.update(sub)
                    complete = complete and ok
                elif isinstance(k, ast.Constant) and isinstance(k.value, _STR):
                    keys[k.value] = v
                else:
                    complete = False
            return keys, complete
        if isinstance(node, ast.Call):
            callee = dotted(node.func)
            if callee == "dict":
                complete = True
                for a in node.args:
                    sub, ok = self.resolve_dict(a, ctx, depth + 1)
                    keys.update(sub)
                    complete = complete and ok
                for k in node.keywords:
                    if k.arg is None:
                        sub, ok = self.resolve_dict(k.value, ctx, depth + 1)
                        keys.update(sub)
                        complete = complete and ok
                    else:
                        keys[k.arg] = k.value
                return keys, complete
            if callee in ("copy.copy", "copy.deepcopy", "deepcopy") and len(node.args) == 1:
                return self.resolve_dict(node.args[0], ctx, depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "copy" and not node.args:
                return self.resolve_dict(node.func.value, ctx, depth + 1)
            return keys, False
        if isinstance(node, ast.Name):
            if self.shadowed(node.id, ctx):
                return keys, False
            value, _ = self.const_value(node.id)
            if value is None:
                return keys, False
            keys, complete = self.resolve_dict(value, MODULE_CTX, depth + 1)
            for k, v in self.mutations.get(node.id, ()):
                if k is not None:
                    keys[k] = v
                else:
                    sub, ok = self.resolve_dict(v, MODULE_CTX, depth + 1)
                    keys.update(sub)
                    complete = complete and ok
            return keys, complete
        return keys, False

    def find_now(self, node, ctx):
        """The first call in `node` (or in the module constant it names, one level) that reads the clock."""
        names = []
        for n in ast.walk(node):
            t = type(n)
            if t is ast.Call:
                found = self._now_call(n)
                if found:
                    return found
            elif t is ast.Name:
                names.append(n)
        for n in names:
            if self.shadowed(n.id, ctx):
                continue
            value, _ = self.const_value(n.id)
            if value is not None:
                for c in ast.walk(value):
                    found = self._now_call(c) if type(c) is ast.Call else None
                    if found:
                        found["via"] = n.id
                        return found
        return None

    def _now_call(self, call):
        if last_name(call.func) in NOW_CALLS or dotted(call.func) in NOW_DOTTED:
            fact = self.pos(call)
            fact["call"] = describe_callee(call.func)
            return fact
        return None

    # ------------------------------------------------------------ DAG facts

    def is_dag_class(self, func):
        if isinstance(func, ast.Name):
            return func.id in self.dag_classes
        return isinstance(func, ast.Attribute) and func.attr == DAG_CLASS

    @staticmethod
    def is_decorator(node, names, attr):
        """@name, @name(...), @module.attr or @module.attr(...)."""
        target = node.func if isinstance(node, ast.Call) else node
        if isinstance(target, ast.Name):
            return target.id in names
        return isinstance(target, ast.Attribute) and target.attr == attr

    def arguments(self, call, ctx):
        """Keyword arguments as (keys, complete), **spreads resolved where possible."""
        keys = {}
        complete = True
        for k in call.keywords:
            if k.arg is None:
                sub, ok = self.resolve_dict(k.value, ctx)
                keys.update(sub)
                complete = complete and ok
            else:
                keys[k.arg] = k.value
        return keys, complete

    def dag_fact(self, node, form, call, ctx, func_name=None):
        """Facts about one DAG: `node` is where it is declared (call or decorator),
        `call` its argument list (None for a bare @dag)."""
        fact = self.pos(node)
        fact["form"] = form
        if ctx.func is not None and getattr(ctx.func, "name", None):
            fact["in_function"] = ctx.func.name
        if ctx.loops:
            fact["in_loop"] = ctx.loops[-1][1]
        if call is not None:
            kw, complete = self.arguments(call, ctx)
            args = call.args
        else:
            kw, complete, args = {}, True, []

        # dag_id
        id_node = kw.get("dag_id")
        reason = None
        if id_node is None and args:
            if isinstance(args[0], ast.Starred):
                reason = "passed with *args"
            else:
                id_node = args[0]
        if id_node is not None:
            value, reason = self.static_str(id_node, ctx)
        elif reason is None and not complete:
            value, reason = None, "may be passed with **kwargs"
        elif reason is None and func_name is not None:
            value = func_name
            fact["dag_id_from"] = "function name"
        elif reason is None:
            value, reason = None, "no dag_id given"
        if reason is not None:
            if ctx.loops and "loop" not in reason:
                what, line, _ = ctx.loops[-1]
                reason = "%s, in a %s at line %d" % (reason, what, line)
            fact["dag_id"] = None
            fact["dynamic"] = reason
        else:
            fact["dag_id"] = value

        # policy facts: "set", "missing" or "unknown"
        def present(*names):
            if any(n in kw for n in names):
                return "set"
            return "missing" if complete else "unknown"

        if "default_args" in kw:
            dargs, dargs_complete = self.resolve_dict(kw["default_args"], ctx)
        else:
            dargs, dargs_complete = {}, complete

        def in_default_args(name):
            if name in dargs:
                return "set"
            return "missing" if dargs_complete else "unknown"

        fact["owner"] = in_default_args("owner")
        fact["retries"] = in_default_args("retries")
        fact["catchup"] = present("catchup")
        fact["schedule"] = present(*SCHEDULE_KEYS)

        starts = [kw[k] for k in ("start_date",) if k in kw] + [dargs[k] for k in ("start_date",) if k in dargs]
        fact["start_date"] = "set" if starts else ("missing" if complete and dargs_complete else "unknown")
        for s in starts:
            now = self.find_now(s, ctx)
            if now:
                fact["start_date_now"] = now
                break

        if "tags" in kw:
            fact["tags"] = self.tags_state(kw["tags"], ctx)
        else:
            fact["tags"] = "missing" if complete else "unknown"

        # static values: null where the argument is missing or cannot be read without running the file
        why = {}
        sched = None
        for k in SCHEDULE_KEYS:
            if k in kw:
                sched = k
                break
        if sched is None:
            fact["schedule_value"] = None
        elif sched == "timetable":
            fact["schedule_value"] = None
            why["schedule"] = "a timetable object (%s)" % self.describe_value(kw[sched])
        else:
            fact["schedule_value"], reason = self.schedule_value(kw[sched], ctx)
            if reason:
                why["schedule"] = reason
        fact["start_date_value"] = None
        if starts:
            now = fact.get("start_date_now")
            if now:
                why["start_date"] = "computed from the current time by %s()%s" % (now["call"], " (through %s)" % now["via"] if now.get("via") else "")
            else:
                value, naive, reason = self.datetime_value(starts[0], ctx)
                fact["start_date_value"] = value
                if naive:
                    fact["start_date_naive"] = True
                if reason:
                    why["start_date"] = reason
        fact["catchup_value"] = None
        if "catchup" in kw:
            fact["catchup_value"], reason = self.bool_value(kw["catchup"], ctx)
            if reason:
                why["catchup"] = reason
        if why:
            fact["not_static"] = why
        return fact

    # ------------------------------------------------------------ static values (schedule, start_date, catchup)

    def canonical(self, node):
        """Dotted name of `node` with its first part replaced by what it was imported as."""
        d = dotted(node)
        if d is None:
            return None
        head, dot, rest = d.partition(".")
        base = self.imported.get(head)
        if base is None:
            return d
        return base + dot + rest

    def named_value(self, node, ctx, depth):
        """The module-level expression a name is bound to (one level only), or (None, why not)."""
        if depth:
            return None, "constant refers to another name ('%s')" % node.id
        why = self.shadowed(node.id, ctx)
        if why:
            return None, why
        return self.const_value(node.id)

    @staticmethod
    def describe_value(node):
        if isinstance(node, ast.Call):
            return "%s(...)" % describe_callee(node.func)
        d = dotted(node)
        return d if d is not None else type(node).__name__

    @staticmethod
    def integer(node):
        if type(node) is ast.UnaryOp and isinstance(node.op, ast.USub):
            v = FileScan.integer(node.operand)
            return -v if v is not None else None
        if type(node) is ast.Constant and type(node.value) is int:
            return node.value
        return None

    def schedule_value(self, node, ctx, depth=0):
        """(value, None): "@daily", a cron string, "None", or an ISO 8601 duration for a timedelta;
        (None, why) when the schedule cannot be read statically."""
        t = type(node)
        if t is ast.Constant:
            if node.value is None:
                return "None", None
            if isinstance(node.value, _STR):
                return node.value, None
            return None, "not a string, None or timedelta (%r)" % (node.value,)
        if t is ast.Name:
            if self.canonical(node) in DATA_AWARE:
                return None, "data-aware schedule (%s)" % node.id
            value, why = self.named_value(node, ctx, depth)
            if value is None:
                return None, why
            v, why = self.schedule_value(value, MODULE_CTX, depth + 1)
            return v, ("constant '%s': %s" % (node.id, why) if why else None)
        if t is ast.Call:
            callee = self.canonical(node.func)
            if callee in TIMEDELTA_CALLS:
                return self.duration(node)
            name = last_name(node.func) or ""
            if name in DATA_AWARE:
                return None, "data-aware schedule (%s(...))" % name
            if name.endswith("Timetable"):
                return None, "a timetable object (%s(...))" % name
            if name in NOW_CALLS:
                return None, "computed from the current time by %s()" % describe_callee(node.func)
        if t in (ast.List, ast.Tuple, ast.Set):
            return None, "data-aware schedule (a list of datasets or assets)"
        if t is ast.BinOp and isinstance(node.op, (ast.BitOr, ast.BitAnd)):
            return None, "data-aware schedule (an expression of datasets or assets)"
        return self.static_str(node, ctx)

    def duration(self, call):
        """ISO 8601 duration of a timedelta(...) of literal numbers, e.g. PT1H, P1DT12H."""
        values = {}
        if len(call.args) > len(TIMEDELTA_ORDER):
            return None, "too many timedelta arguments"
        for name, a in zip(TIMEDELTA_ORDER, call.args):
            values[name] = a
        for k in call.keywords:
            if k.arg is None:
                return None, "timedelta(**...)"
            if k.arg not in TIMEDELTA_US:
                return None, "timedelta argument '%s' has no fixed length" % k.arg
            values[k.arg] = k.value
        total = 0
        for name, a in values.items():
            v = self.integer(a)
            if v is None:
                if type(a) is ast.Constant and type(a.value) is float:
                    v = a.value
                else:
                    return None, "timedelta argument '%s' is not a literal number" % name
            total += v * TIMEDELTA_US[name]
        total = int(round(total))
        if total <= 0:
            return None, "timedelta is not positive"
        days, rest = divmod(total, TIMEDELTA_US["days"])
        hours, rest = divmod(rest, TIMEDELTA_US["hours"])
        minutes, rest = divmod(rest, TIMEDELTA_US["minutes"])
        seconds, micros = divmod(rest, TIMEDELTA_US["seconds"])
        out = "P%dD" % days if days else "P"
        if hours or minutes or seconds or micros:
            out += "T"
            if hours:
                out += "%dH" % hours
            if minutes:
                out += "%dM" % minutes
            if seconds or micros:
                out += ("%d.%06d" % (seconds, micros)).rstrip("0") + "S" if micros else "%dS" % seconds
        return out, None

    def datetime_value(self, node, ctx, depth=0):
        """(ISO 8601 text, naive, None) for a literal datetime: "2024-01-01T00:00:00Z",
        "...+05:30" or "...[Europe/Amsterdam]" (a named zone: its offset is the reader's to find);
        a naive datetime is given as UTC with naive=True (Airflow reads it in its default_timezone).
        (None, False, why) when it cannot be read statically."""
        t = type(node)
        if t is ast.Name:
            value, why = self.named_value(node, ctx, depth)
            if value is None:
                return None, False, why
            v, naive, why = self.datetime_value(value, MODULE_CTX, depth + 1)
            return v, naive, ("constant '%s': %s" % (node.id, why) if why else None)
        if t is not ast.Call:
            return None, False, "not a datetime(...) call (%s)" % self.describe_value(node)
        kind = DATETIME_CALLS.get(self.canonical(node.func))
        if kind is None:
            return None, False, "result of calling %s()" % describe_callee(node.func)
        fields = {}
        zone_node = None
        args = node.args
        if len(args) > 7 and kind == "stdlib":
            zone_node = args[7]
            args = args[:7]
        if len(args) > 7 or any(isinstance(a, ast.Starred) for a in args):
            return None, False, "unusual datetime arguments"
        for name, a in zip(DATETIME_FIELDS, args):
            fields[name] = a
        for k in node.keywords:
            if k.arg in DATETIME_FIELDS:
                fields[k.arg] = k.value
            elif k.arg in ("tzinfo", "tz"):
                zone_node = k.value
            elif k.arg != "fold":
                return None, False, "datetime argument %s" % ("**..." if k.arg is None else "'%s'" % k.arg)
        parts = []
        for name in DATETIME_FIELDS:
            a = fields.get(name)
            if a is None:
                if name in ("year", "month", "day"):
                    return None, False, "datetime without %s" % name
                parts.append(0)
                continue
            v = self.integer(a)
            if v is None:
                return None, False, "datetime %s is not a literal integer" % name
            parts.append(v)
        try:
            datetime.datetime(*parts)
        except (ValueError, OverflowError) as e:
            return None, False, "not a valid date: %s" % e
        text = "%04d-%02d-%02dT%02d:%02d:%02d" % tuple(parts[:6])
        if parts[6]:
            text += (".%06d" % parts[6]).rstrip("0")
        if zone_node is None or (type(zone_node) is ast.Constant and zone_node.value is None):
            if kind == "pendulum" and zone_node is None:
                return text + "Z", False, None  # pendulum.datetime defaults to UTC
            return text + "Z", True, None
        zone, why = self.zone_value(zone_node, ctx, kind)
        if zone is None:
            return None, False, why
        if zone == "UTC":
            return text + "Z", False, None
        if zone[0] in "+-":
            return text + zone, False, None
        return "%s[%s]" % (text, zone), False, None

    def zone_value(self, node, ctx, kind, depth=0):
        """'UTC', a fixed offset '+05:30', or a zone name, for a literal tz/tzinfo; else (None, why)."""
        t = type(node)
        if t is ast.Constant and isinstance(node.value, _STR):
            if kind != "pendulum":
                return None, "tzinfo is a string"
            return ("UTC" if node.value in UTC_ZONES else node.value), None
        if t is ast.Name or t is ast.Attribute:
            if self.canonical(node) in UTC_NAMES:
                return "UTC", None
            if t is ast.Attribute:
                return None, "time zone %s is not a literal" % describe_callee(node)
            value, why = self.named_value(node, ctx, depth)
            if value is None:
                return None, "time zone: %s" % why
            return self.zone_value(value, MODULE_CTX, kind, depth + 1)
        if t is ast.Call:
            callee = self.canonical(node.func)
            if callee in ZONE_CALLS and len(node.args) == 1 and not node.keywords:
                a = node.args[0]
                if type(a) is ast.Constant and isinstance(a.value, _STR):
                    if a.value in UTC_ZONES:
                        return "UTC", None
                    if callee.startswith("pytz.") and kind != "pendulum":
                        return None, "a pytz zone passed as tzinfo= takes the zone's local mean time offset (pytz needs localize()); use pendulum or zoneinfo"
                    return a.value, None
                return None, "time zone name is not a literal string"
            if callee == "dateutil.tz.tzutc" and not node.args:
                return "UTC", None
            if callee == "datetime.timezone" and len(node.args) == 1:
                d = node.args[0]
                if type(d) is ast.Call and self.canonical(d.func) in TIMEDELTA_CALLS:
                    minutes = self.offset_minutes(d)
                    if minutes is None:
                        return None, "time zone offset is not a literal whole number of minutes"
                    if minutes == 0:
                        return "UTC", None
                    sign = "-" if minutes < 0 else "+"
                    return "%s%02d:%02d" % ((sign,) + divmod(abs(minutes), 60)), None
            return None, "time zone from %s()" % describe_callee(node.func)
        return None, "time zone is not a literal (%s)" % self.describe_value(node)

    def offset_minutes(self, call):
        """Whole minutes of a timedelta(...) of literal integers (may be negative), else None."""
        if call.keywords and any(k.arg is None or k.arg not in TIMEDELTA_US for k in call.keywords):
            return None
        total = 0
        for name, a in list(zip(TIMEDELTA_ORDER, call.args)) + [(k.arg, k.value) for k in call.keywords]:
            v = self.integer(a)
            if v is None:
                return None
            total += v * TIMEDELTA_US[name]
        if total % TIMEDELTA_US["minutes"] or abs(total) >= TIMEDELTA_US["days"]:
            return None
        return total // TIMEDELTA_US["minutes"]

    def bool_value(self, node, ctx, depth=0):
        if type(node) is ast.Constant and type(node.value) is bool:
            return node.value, None
        if type(node) is ast.Name:
            value, why = self.named_value(node, ctx, depth)
            if value is None:
                return None, why
            v, why = self.bool_value(value, MODULE_CTX, depth + 1)
            return v, ("constant '%s': %s" % (node.id, why) if why else None)
        return None, "not a literal True or False (%s)" % self.describe_value(node)

    def tags_state(self, node, ctx, depth=0):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return "set" if node.elts else "empty"
        if isinstance(node, ast.Constant) and node.value is None:
            return "empty"
        if isinstance(node, ast.Name) and depth == 0 and not self.shadowed(node.id, ctx):
            value, _ = self.const_value(node.id)
            if value is not None:
                return self.tags_state(value, MODULE_CTX, depth + 1)
        return "set"

    # ------------------------------------------------------------ top-level work

    def is_hookish(self, node):
        if isinstance(node, ast.Call):
            name = last_name(node.func)
            return bool(name) and name.lower().endswith("hook")
        if isinstance(node, ast.Name):
            if node.id.lower().endswith("hook"):
                return True
            value, _ = self.const_value(node.id)
            return isinstance(value, ast.Call) and self.is_hookish(value)
        if isinstance(node, ast.Attribute):
            return node.attr.lower().endswith("hook")
        return False

    def top_level_call(self, call):
        """(kind, what) when `call` reads a Variable, a connection or a database."""
        f = call.func
        if isinstance(f, ast.Attribute):
            recv = f.value
            recv_name = last_name(recv)
            if f.attr in VARIABLE_METHODS and recv_name == "Variable":
                return "variable", "Variable." + f.attr
            if f.attr == "get_connection" and recv_name and recv_name.endswith("Hook"):
                return "connection", "%s.get_connection" % recv_name
            if f.attr == "get_connection_from_secrets" and recv_name == "Connection":
                return "connection", "Connection.get_connection_from_secrets"
            if f.attr == "connect" and dotted(recv) in DBAPI_MODULES:
                return "database", "%s.connect" % dotted(recv)
            if f.attr in HOOK_METHODS and self.is_hookish(recv):
                return "database", describe_callee(f)
        name = last_name(f)
        if name == "create_engine":
            return "database", describe_callee(f)
        return None

    # ------------------------------------------------------------ the walk

    def walk(self):
        hot = self.hot
        n_hot = len(hot)
        if not n_hot:
            return
        dag_names = self.dag_function_names
        stack = [(self.tree, MODULE_CTX)]
        push = stack.append
        pop = stack.pop
        bisect_left = bisect.bisect_left
        Call, Name, FunctionDef, AsyncFunctionDef, Lambda, ClassDef = ast.Call, ast.Name, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef
        For, AsyncFor, While, If, With, AsyncWith = ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith
        comps = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
        AST = ast.AST

        def push_children(node, ctx):  # ast.iter_child_nodes without its two generators
            for field in node._fields:
                v = getattr(node, field, None)
                if type(v) is list:
                    for x in v:
                        if isinstance(x, AST):
                            push((x, ctx))
                elif isinstance(v, AST):
                    push((v, ctx))

        while stack:
            node, ctx = pop()
            line = getattr(node, "lineno", None)
            if line is not None:
                i = bisect_left(hot, line)
                if i == n_hot or hot[i] > node.end_lineno:
                    continue  # nothing of interest on these lines
            t = type(node)
            if t is Call:
                func = node.func
                if self.is_dag_class(func):
                    self.dags.append(self.dag_fact(node, "with" if id(node) in self.with_calls else "call", node, ctx))
                if ctx.mode is not None:
                    hit = self.top_level_call(node)
                    if hit:
                        fact = self.pos(node)
                        fact["kind"], fact["call"] = hit
                        if ctx.mode != "import":
                            fact["in_dag_function"] = ctx.mode[1]
                        self.top_level.append(fact)
                if type(func) is Name and func.id in dag_names:
                    self.calls_by_name.setdefault(func.id, set()).add(ctx.mode)
                push_children(node, ctx)
            elif t is Name:
                if node.id in dag_names and type(node.ctx) is ast.Load:
                    self.loads[node.id] = self.loads.get(node.id, 0) + 1
            elif t is FunctionDef or t is AsyncFunctionDef:
                self.function(node, ctx, push)
            elif t is Lambda:
                for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                    push((d, ctx))
                push((node.body, Ctx(None, ctx.loops, node)))
            elif t is ClassDef:
                for child in node.decorator_list + node.bases + [k.value for k in node.keywords] + node.body:
                    push((child, ctx))
            elif t is For or t is AsyncFor:
                push((node.iter, ctx))
                inner = ctx.with_loop("for loop", node.lineno, target_names(node.target, set()))
                for child in node.body + node.orelse:
                    push((child, inner))
            elif t is While:
                inner = ctx.with_loop("while loop", node.lineno, ())
                for child in [node.test] + node.body + node.orelse:
                    push((child, inner))
            elif t in comps:
                names = set()
                for g in node.generators:
                    target_names(g.target, names)
                inner = ctx.with_loop("comprehension", node.lineno, names)
                first = True
                for g in node.generators:
                    push((g.iter, ctx if first else inner))  # the first iterable is evaluated outside
                    first = False
                    for cond in g.ifs:
                        push((cond, inner))
                if t is ast.DictComp:
                    push((node.key, inner))
                    push((node.value, inner))
                else:
                    push((node.elt, inner))
            elif t is If:
                if not is_main_guard(node.test):
                    push((node.test, ctx))
                    for child in node.body:
                        push((child, ctx))
                for child in node.orelse:
                    push((child, ctx))
            elif t is With or t is AsyncWith:
                for item in node.items:
                    e = item.context_expr
                    if type(e) is Call and self.is_dag_class(e.func):
                        self.with_calls.add(id(e))
                push_children(node, ctx)
            else:
                push_children(node, ctx)

    def function(self, node, ctx, push):
        a = node.args
        for d in node.decorator_list + a.defaults + [d for d in a.kw_defaults if d is not None]:
            push((d, ctx))
        dag_deco = None
        group = False
        for d in node.decorator_list:
            if self.is_decorator(d, self.dag_decorators, DAG_DECORATOR):
                dag_deco = d
            elif self.is_decorator(d, self.group_decorators, TASK_GROUP_DECORATOR):
                group = True
        if dag_deco is not None:
            fact = self.dag_fact(dag_deco, "decorator", dag_deco if isinstance(dag_deco, ast.Call) else None, ctx, node.name)
            fact["function"] = node.name
            self.dags.append(fact)
            self.dag_functions.append((node, fact))
            mode = ("dagfn", node.name)  # the body runs when the function is called
        elif group and ctx.mode is not None:
            mode = ctx.mode  # a task group's body runs while its DAG is built
        else:
            mode = None
        inner = Ctx(mode, (), node)
        for child in node.body:
            push((child, inner))

    def finish(self):
        """Resolve @dag calls, and keep @dag body work only for functions called at import."""
        called_at_import = set()
        for node, fact in self.dag_functions:
            modes = self.calls_by_name.get(node.name, set())
            if "import" in modes:
                fact["called"] = "module"
                called_at_import.add(node.name)
            elif modes or self.loads.get(node.name, 0) > 0:
                fact["called"] = "elsewhere"
            else:
                fact["called"] = "never"
        kept = []
        for call in self.top_level:
            fn = call.get("in_dag_function")
            if fn is None or fn in called_at_import:
                kept.append(call)
        self.top_level = kept
        self.dags.sort(key=lambda d: (d["line"], d["column"]))
        self.top_level.sort(key=lambda d: (d["line"], d["column"]))


def _ident(c):
    return c.isalnum() or c == "_"


def _isascii(s):
    try:
        return s.isascii()
    except AttributeError:  # pragma: no cover (Python < 3.7)
        return all(ord(c) < 128 for c in s)


def line_col_of_offset(data, offset):
    """1-based line and character column of byte `offset` in `data` (\r\n, \r and \n end lines, as for ast)."""
    prefix = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    start = prefix.rfind(b"\n") + 1
    if start == 0 and prefix.startswith(b"\xef\xbb\xbf"):
        start = 3  # editors do not show the byte-order mark
    return prefix.count(b"\n") + 1, len(prefix[start:].decode("utf-8", "replace")) + 1


def decode(data):
    """(text, None) or (None, syntax-error fact) for a file's bytes, as Python would read them."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = line_col_of_offset(data, nul)
        return None, {"message": "source code cannot contain null bytes", "line": line, "column": column, "kind": "null-byte"}
    encoding = "utf-8"
    head = data[:400]
    if head.startswith(b"\xef\xbb\xbf") or b"coding" in head:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as e:
            try:  # "invalid or missing encoding declaration" may just be bad UTF-8 in the first lines
                data.decode("utf-8-sig")
            except UnicodeDecodeError:
                encoding = "utf-8-sig"  # reported below, with the position of the bad byte
            else:
                return None, {"message": _STR(e.args[0]) if e.args else "invalid encoding declaration", "line": getattr(e, "lineno", None) or 1, "column": 1, "kind": "encoding"}
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as e:
        start = e.start + (3 if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf") else 0)
        line, column = line_col_of_offset(data, start)
        bad = data[start:start + 1]
        return None, {
            "message": "file is not valid %s: byte 0x%s at line %d cannot be decoded (%s); save it as UTF-8 or declare its encoding (# -*- coding: ... -*-)" % (
                "UTF-8" if encoding.startswith("utf-8") else encoding, bad.hex() if bad else "??", line, e.reason),
            "line": line,
            "column": column,
            "kind": "encoding",
        }
    except LookupError:
        return None, {"message": "unknown encoding declared: %s" % encoding, "line": 1, "column": 1, "kind": "encoding"}


def facts(path):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        return {"file": path, "read_error": "%s: %s" % (type(e).__name__, e.strerror or e)}
    out = {"file": path, "dags": [], "top_level_calls": []}
    text, err = decode(data)
    if err is not None:
        out["syntax_error"] = err
        return out
    try:
        tree = ast.parse(text, path)
    except SyntaxError as e:
        message = e.msg if isinstance(e.msg, _STR) else _STR(e)
        line = e.lineno or 1
        column = e.offset if e.offset and e.offset > 0 else 1
        fact = {"message": message, "line": line, "column": column, "kind": type(e).__name__}
        end_line, end_col = getattr(e, "end_lineno", None), getattr(e, "end_offset", None)
        if end_line and end_col and end_col > 0 and (end_line, end_col) > (line, column):
            fact["end_line"], fact["end_column"] = end_line, end_col
        out["syntax_error"] = fact
        return out
    except (RecursionError, MemoryError, ValueError) as e:
        out["syntax_error"] = {"message": "Python cannot parse this file: %s" % (e,), "line": 1, "column": 1, "kind": type(e).__name__}
        return out
    scan = FileScan(tree, text)
    scan.prepass()
    scan.hot_lines(scan.statement_prepass())
    scan.walk()
    scan.finish()
    out["dags"] = scan.dags
    out["top_level_calls"] = scan.top_level
    return out


def main():
    if sys.version_info < (3, 8):
        sys.stdout.write(json.dumps({"hello": "ferry-dag-facts", "protocol": PROTOCOL, "python": "%d.%d.%d" % sys.version_info[:3], "error": "Python 3.8 or newer is needed"}) + "\n")
        return 3
    warnings.simplefilter("ignore")  # SyntaxWarning and DeprecationWarning from parsing user code
    out = sys.stdout
    out.write(json.dumps({"hello": "ferry-dag-facts", "protocol": PROTOCOL, "python": "%d.%d.%d" % sys.version_info[:3]}) + "\n")
    out.flush()
    for raw in sys.stdin.buffer:
        raw = raw.strip()
        if not raw:
            continue
        try:
            request = json.loads(raw.decode("utf-8"))
            paths = request["files"] if "files" in request else [request["file"]]
            if not all(isinstance(p, _STR) for p in paths):
                raise TypeError("file paths must be strings")
        except (ValueError, KeyError, TypeError) as e:
            out.write(json.dumps({"protocol_error": "bad request: %s" % (e,)}) + "\n")
            out.flush()
            continue
        for n, path in enumerate(paths, 1):
            try:
                result = facts(path)
            except Exception as e:  # a bug here must not lose the other files
                import traceback

                result = {"file": path, "internal_error": "%s: %s" % (type(e).__name__, e), "traceback": traceback.format_exc()}
            out.write(json.dumps(result, separators=(",", ":")) + "\n")
            if n % 256 == 0:
                out.flush()  # a long batch still streams
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
