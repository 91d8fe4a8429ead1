"""Mutants of a reference program, made by cosmic-ray's operators driven as a library.

    for m in mutants(task.reference):
        m.operator, m.line, m.program, m.diff

Why cosmic-ray: it is the mutation tool UTRL scores test suites with, its operators are a real library
(`cosmic_ray.plugins.get_operator`, `mutating.mutate_code`) that work on source text, and with the same
operator set a mutation score here and one from its own command line count the same mutants. mutmut 3 works
by rewriting a package on disk into trampolines and runs pytest itself: it cannot hand us one mutant's source.

The operator set is cosmic-ray's default session (what `cosmic-ray init` enumerates with an empty operator
config, as UTRL runs it): every core operator that takes no arguments; the two that need arguments
(VariableReplacer, VariableInserter) are left out there too. Mutants are enumerated in cosmic-ray's order
(operator by operator, occurrence by occurrence) and identical mutated programs are kept once.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError

INSTALL_HINT = "pip install 'codereward[suites]'"


@dataclass(frozen=True)
class Mutant:
    index: int  # position among the program's mutants (cosmic-ray's enumeration order)
    operator: str  # cosmic-ray's operator name, e.g. "core/ReplaceComparisonOperator_Lt_LtE"
    occurrence: int  # which occurrence of the operator's targets in the program
    line: int  # 1-based line of the mutated code in the program
    program: str  # the whole mutated program

    def diff(self, original: str) -> str:
        """A unified diff from the original program to this mutant (three lines of context)."""
        return "".join(difflib.unified_diff(original.splitlines(keepends=True), self.program.splitlines(keepends=True),
                                            "reference", f"mutant {self.index} ({self.operator})"))


def _cosmic_ray() -> tuple[Any, Any, Any]:
    try:
        import cosmic_ray.plugins as plugins
        from cosmic_ray.ast import ast_nodes, get_ast
    except ImportError:
        raise UsageError(f"mutation testing needs cosmic-ray: {INSTALL_HINT}") from None
    return plugins, ast_nodes, get_ast


def operator_names() -> list[str]:
    """The operators of cosmic-ray's default session (those that take no arguments)."""
    plugins, _, _ = _cosmic_ray()
    return [name for name in plugins.operator_names() if not plugins.get_operator(name).arguments()]


def mutants(program: str, operators: Sequence[str] | None = None, limit: int | None = None) -> list[Mutant]:
    """Every mutant cosmic-ray's operators make of `program` (all default operators, or `operators` by name,
    each a name from operator_names() or its last part: "ReplaceComparisonOperator_Lt_LtE"), in cosmic-ray's
    order, identical programs and no-op mutations dropped; at most `limit`. A program that does not parse has
    no mutants: UsageError, since there is nothing to score against."""
    plugins, ast_nodes, get_ast = _cosmic_ray()
    from cosmic_ray.mutating import mutate_code

    names = operator_names()
    if operators is not None:
        short = {n.split("/", 1)[1]: n for n in names}
        unknown = [o for o in operators if o not in names and o not in short]
        if unknown:
            raise UsageError(f"unknown mutation operator(s) {', '.join(unknown)}; "
                             "see codereward.suites.operator_names()")
        names = [short.get(o, o) for o in operators]
    try:
        compile(program, "<reference>", "exec")
        tree = get_ast(program)
    except (SyntaxError, ValueError) as e:
        raise UsageError(f"the reference does not parse, so it has no mutants: {e}") from None
    out: list[Mutant] = []
    seen = {program}
    for name in names:
        op = plugins.get_operator(name)()
        positions = [start for node in ast_nodes(tree) for start, _end in op.mutation_positions(node)]
        for occurrence, (line, _col) in enumerate(positions):
            mutated = mutate_code(program, op, occurrence)
            if mutated is None or mutated in seen:
                continue
            seen.add(mutated)
            out.append(Mutant(len(out), name, occurrence, line, mutated))
            if limit is not None and len(out) >= limit:
                return out
    return out


def unreachable_lines(program: str, entry_point: str | None) -> set[int]:
    """Lines of the program's top-level functions and classes that neither its entry point nor its module-level
    code can ever run. Tests reach a program only through its entry point (a stdio program: by running it), so
    a mutant there cannot be killed by any suite — HumanEval/50's `encode_shift`, which `decode_shift` never
    calls, say (the tests use the dataset's own copy). Reachability follows names: a definition is reached when
    reached code names it (a call, a reference, or its name in a string, for getattr and globals()[...])."""
    tree = ast.parse(program)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}

    def named(node: ast.AST) -> set[str]:
        return {n.id if isinstance(n, ast.Name) else str(n.value) for n in ast.walk(node)
                if isinstance(n, ast.Name) or isinstance(n, ast.Constant) and isinstance(n.value, str)}

    # What runs at import: every statement but a definition's body (its decorators and defaults run too).
    roots: set[str] = {entry_point} if entry_point else set()
    for node in tree.body:
        if node in defs.values():
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            parts: list[ast.AST | None] = list(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                parts += [*node.bases, *node.keywords]
            else:
                parts += [*node.args.defaults, *node.args.kw_defaults]
            for part in parts:
                if part is not None:
                    roots |= named(part)
        else:
            roots |= named(node)
    reached: set[str] = set()
    todo = [name for name in roots if name in defs]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += [n for n in named(defs[name]) if n in defs and n not in reached]
    return {line for name, node in defs.items() if name not in reached
            for line in range(min([node.lineno, *(d.lineno for d in node.decorator_list)]),
                              (node.end_lineno or node.lineno) + 1)}
