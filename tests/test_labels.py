"""Labels (verl ground_truth, OpenRLHF label, TRL column) -> Tasks; and code extraction from completions.

Parsing tests are pure and table-driven; `test_label_verdicts` runs every label format through a real engine
with a right and a wrong answer, so a parse that builds the wrong tests cannot pass.
"""

from __future__ import annotations

import json

import pytest

from codereward import Engine, InputError, Status
from codereward.integrations import extract_code
from codereward.tasks import label_program, task_from_label

ADD_ASSERTS = ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]
APPS_STDIO = {"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10\n"]}
APPS_CALL = {"inputs": [[1, 2], [2, 3]], "outputs": [[3], [5]], "fn_name": "add"}  # APPS: wrapped outputs
PRIME_CALL = {"inputs": ["1\n2", "2\n3"], "outputs": ["3", "5"], "fn_name": "add"}  # verl prime_code format
OPEN_R1 = {"language": "python", "test_cases": [{"input": "1 2\n", "output": "3\n", "type": "stdin_stdout"},
                                                {"input": "5 5\n", "output": "10\n", "type": "stdin_stdout"}]}
LCB_FUNCTIONAL = [{"input": "1\n2", "output": "3", "testtype": "functional", "metadata": {"func_name": "add"}},
                  {"input": "2\n3", "output": "5", "testtype": "functional", "metadata": {"func_name": "add"}}]
LCB_STDIN = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
OWN = {"entry_point": "add", "tests": {"kind": "call", "cases": [{"args": [1, 2], "expected": 3}]}}
MBPP_ROW = {"task_id": 11, "text": "add", "code": "...", "test_setup_code": "", "test_list": ADD_ASSERTS,
            "challenge_test_list": []}
HUMANEVAL_ROW = {"task_id": "X/0", "prompt": "def add(a, b):\n    ''' add '''\n", "entry_point": "add",
                 "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n"}

FUNC_OK = "def add(a, b):\n    return a + b\n"
FUNC_BAD = "def add(a, b):\n    return a - b\n"
STDIO_OK = "a, b = map(int, input().split())\nprint(a + b)\n"
STDIO_BAD = "print(0)\n"
LEETCODE_OK = "class Solution:\n    def add(self, a, b):\n        return a + b\n"


@pytest.mark.parametrize(("label", "kind", "n"), [
    (OWN, "call", 1),
    (json.dumps(OWN), "call", 1),
    ({"dataset": "humaneval", "task_id": "HumanEval/0"}, "assert", None),
    (APPS_STDIO, "stdio", 2),
    (json.dumps(APPS_STDIO), "stdio", 2),
    ({"input_output": json.dumps(APPS_STDIO)}, "stdio", 2),
    (APPS_CALL, "call", 2),
    (PRIME_CALL, "call", 2),
    (OPEN_R1, "stdio", 2),
    (ADD_ASSERTS, "assert", None),
    (json.dumps(ADD_ASSERTS), "assert", None),
    (MBPP_ROW, "assert", None),
    (HUMANEVAL_ROW, "assert", None),
    (LCB_FUNCTIONAL, "call", 2),
    (LCB_STDIN, "stdio", 1),
])
def test_formats(label, kind, n):
    task = task_from_label(label)
    assert task.tests.kind == kind
    if n is not None:
        assert len(task.tests.cases) == n


def test_call_parsing_details():
    prime = task_from_label(PRIME_CALL)
    assert [c.args for c in prime.tests.cases] == [[1, 2], [2, 3]]
    assert [c.expected for c in prime.tests.cases] == [3, 5]  # JSON strings decoded
    assert prime.entry_point == "add"
    apps = task_from_label(APPS_CALL)
    assert [c.expected for c in apps.tests.cases] == [[3], [5]]  # kept; the checker unwraps
    stdio = task_from_label({"inputs": [["1 2", "x"]], "outputs": [["3", "y"]]})
    assert stdio.tests.cases[0].stdin == "1 2\nx" and stdio.tests.cases[0].stdout == "3\ny"
    assert stdio.tests.comparator == "tokens"


def test_ids_limits_and_options():
    assert task_from_label(OWN).id.startswith("label/")
    assert task_from_label(OWN, task_id="mine").id == "mine"
    assert task_from_label({**OWN, "id": "own"}).id == "own"
    assert task_from_label(HUMANEVAL_ROW).id == "X/0"
    assert task_from_label(APPS_STDIO).limits.time == pytest.approx(3.2)  # 3 s + 0.1 s per case
    assert task_from_label({**APPS_STDIO, "limits": {"time": 7}}).limits.time == 7
    assert task_from_label({**APPS_STDIO, "comparator": "float", "atol": 0.01}).tests.comparator == "float"
    assert task_from_label(ADD_ASSERTS).entry_point == "add"
    assert task_from_label(["assert abs(sub(3, 1)) == 2"]).entry_point == "sub"  # builtins skipped


def test_id_labels_resolve_against_tasks():
    tasks = {"t1": task_from_label(OWN, task_id="t1")}
    assert task_from_label("t1", tasks=tasks) is tasks["t1"]
    assert task_from_label({"task_id": "t1"}, tasks=tasks) is tasks["t1"]
    assert task_from_label('"t1"', tasks=tasks) is tasks["t1"]
    with pytest.raises(InputError, match="unknown task id 't2'") as info:
        task_from_label("t2", tasks=tasks)
    assert "did you mean" not in str(info.value)
    with pytest.raises(InputError, match=r"unknown task id 't_1' \(did you mean 't1'\?\)"):
        task_from_label({"task_id": "t_1"}, tasks=tasks)
    with pytest.raises(InputError, match="no tasks were given"):
        task_from_label("t1")
    # Lookups are not cached: another mapping (or the same one changed) answers with its own task.
    other = {"t1": task_from_label(OWN, task_id="other")}
    assert task_from_label("t1", tasks=other) is other["t1"]
    assert task_from_label({"dataset": "humaneval", "task_id": "t1"}, tasks=other) is other["t1"]


def test_cache_returns_the_same_object():
    a = task_from_label(json.dumps(APPS_STDIO))
    assert task_from_label(json.dumps(APPS_STDIO)) is a
    b = task_from_label(dict(reversed(list(APPS_STDIO.items()))))  # same content, other key order
    assert task_from_label(APPS_STDIO) is b
    assert a.tests == b.tests


@pytest.mark.parametrize(("label", "field", "message"), [
    ("{not json", "label", "not valid JSON"),
    (42, "label", "must be a JSON string, object or array"),
    ({"foo": 1}, "label", "label has no tests"),
    ({"inputs": [1], "outputs": []}, "outputs", "1 inputs but 0 outputs"),
    ({"inputs": "1", "outputs": ["1"]}, "inputs", "'inputs' must be a list"),
    ({"inputs": [], "outputs": []}, "inputs", "no test cases"),
    ({"inputs": [3], "outputs": ["x"]}, "inputs.0", "must be a string or a list of strings"),
    ({"inputs": ["{bad"], "outputs": ["1"], "fn_name": "f"}, "inputs.0", "not JSON"),
    ({"inputs": ["1"], "outputs": ["{bad"], "fn_name": "f"}, "outputs.0", "not JSON"),
    ({"input_output": "{bad"}, "input_output", "not valid JSON"),
    ({"input_output": json.dumps({"inputs": ["1"]})}, "input_output.outputs", "missing 'outputs'"),
    ({"language": "cpp", "test_cases": []}, "language", "only Python"),
    ({"test_cases": [{"input": "1", "output": "1", "type": "function_call"}]}, "test_cases.0.type", "stdin_stdout"),
    ({"test_cases": [{"output": "1"}]}, "test_cases.0.input", "missing 'input'"),
    (["assert f(1) ==", "assert f(2) == 2"], "0", "not valid Python"),
    (["assert 1 == 1"], "entry_point", "cannot tell which function"),
    ([1, 2], "0", "assert strings or test-case objects"),
    ([], "label", "empty list"),
    ([{"input": "1", "output": "2", "testtype": "functional"}], "0.metadata.func_name", "fn_name"),
    ({"tests": {"kind": "call", "cases": []}}, "entry_point", "entry_point"),
    ({"tests": {"kind": "nope"}}, "tests.kind", "'kind' must be one of"),
    ({"dataset": "nope", "task_id": "x"}, "dataset", "unknown dataset"),
    ({"dataset": "humaneval", "task_id": "HumanEval/999"}, "task_id", "has no task"),
    ({**APPS_STDIO, "limits": {"time": -1}}, "limits.time", "greater than 0"),
])
def test_bad_labels_name_the_field(label, field, message):
    with pytest.raises(InputError, match=message) as info:
        task_from_label(label)
    assert info.value.field == field


def test_solution_shim_only_for_call_tasks():
    call = task_from_label(APPS_CALL)
    assert "Solution()" in label_program(call, LEETCODE_OK)
    stdio = task_from_label(APPS_STDIO)
    assert label_program(stdio, STDIO_OK) == STDIO_OK


# Each format, with an answer that must pass and one that must fail, through a real sandboxed engine.
VERDICT_CASES = [
    (OWN, FUNC_OK, FUNC_BAD),
    (APPS_STDIO, STDIO_OK, STDIO_BAD),
    (json.dumps({"input_output": json.dumps(APPS_STDIO)}), STDIO_OK, STDIO_BAD),
    (APPS_CALL, FUNC_OK, FUNC_BAD),
    (APPS_CALL, LEETCODE_OK, FUNC_BAD),
    (PRIME_CALL, FUNC_OK, FUNC_BAD),
    ({"inputs": ["1\n2"], "outputs": ["[1, 2]"], "fn_name": "add"},
     "def add(a, b):\n    return (a, b)\n", "def add(a, b):\n    return [a, a]\n"),  # tuple vs JSON list
    (OPEN_R1, STDIO_OK, STDIO_BAD),
    (ADD_ASSERTS, FUNC_OK, FUNC_BAD),
    (MBPP_ROW, FUNC_OK, FUNC_BAD),
    (HUMANEVAL_ROW, FUNC_OK, FUNC_BAD),
    (LCB_FUNCTIONAL, LEETCODE_OK, FUNC_BAD),
    (LCB_STDIN, STDIO_OK, STDIO_BAD),
    ({"dataset": "humaneval", "task_id": "HumanEval/53"}, FUNC_OK, FUNC_BAD),
]


@pytest.fixture(scope="module")
def engine():
    with Engine(workers=2) as e:
        yield e


@pytest.mark.parametrize(("label", "good", "bad"), VERDICT_CASES)
def test_label_verdicts(engine, label, good, bad):
    task = task_from_label(label)
    ok = engine.check(task, solution=label_program(task, good))
    assert ok.status is Status.PASSED, ok.to_dict()
    ko = engine.check(task, solution=label_program(task, bad))
    assert ko.status is Status.FAILED, ko.to_dict()


def test_solution_shim_raises_no_audit_flag_and_handles_builtin_names(engine):
    for fn_name in ("add", "max"):
        task = task_from_label({"inputs": [[1, 2]], "outputs": [[3]], "fn_name": fn_name})
        leetcode = f"class Solution:\n    def {fn_name}(self, a, b):\n        return a + b\n"
        plain = f"def {fn_name}(a, b):\n    return a + b\n"
        for code in (leetcode, plain):
            r = engine.check(task, solution=label_program(task, code))
            assert r.status is Status.PASSED and not r.flags, (fn_name, r.to_dict())
        r = engine.check(task, solution=label_program(task, "x = 1\n"))  # neither: the builtin is not the answer
        assert r.status is Status.FAILED


def test_apps_checker_unwraps_and_lists_tuples(engine):
    # APPS call outputs come wrapped ([[1, 2]] for a list result); tuples compare as lists.
    task = task_from_label({"inputs": [[1]], "outputs": [[[1, 2]]], "fn_name": "f"})
    for body, status in [("return [x, 2]", Status.PASSED), ("return (x, 2)", Status.PASSED),
                         ("return [[x, 2]]", Status.PASSED), ("return [x, 3]", Status.FAILED)]:
        r = engine.check(task, solution=f"def f(x):\n    {body}\n")
        assert r.status is status, (body, r.to_dict())


# -- extraction ------------------------------------------------------------------------------------------

F = "```"


@pytest.mark.parametrize(("completion", "code"), [
    ("def f():\n    return 1\n", "def f():\n    return 1\n"),  # no fence: whole text
    (f"Here:\n{F}python\nA\n{F}\nDone", "A\n"),
    (f"{F}python\nFIRST\n{F}\nthen\n{F}python\nLAST\n{F}\n", "LAST\n"),  # last block wins
    (f"{F}py\nA\n{F}\n{F}text\nout\n{F}", "A\n"),  # other languages are skipped
    (f"{F}\nA\n{F}", "A\n"),  # untagged counts as Python
    (f"{F}Python title='x'\nA\n{F}", "A\n"),
    (f"{F}bash\nls\n{F}", ""),  # fences, none Python: nothing to run
    (f"{F}python\nA = 1\n", "A = 1\n"),  # unclosed last block (cut at max length)
    (f"Sure! {F}python\nA\n{F} ok", "A\n"),  # fence in mid-line
    (f"{F}{F[0]}python\nx = '{F}'\n{F}{F[0]}", f"x = '{F}'\n"),  # a 4-tick fence may hold ```
    (f"<think>try {F}python\nDRAFT\n{F}</think>\n{F}python\nFINAL\n{F}", "FINAL\n"),
    (f"reasoning {F}python\nDRAFT\n{F}\n</think>\n{F}python\nFINAL\n{F}", "FINAL\n"),  # <think> in prompt
    (f"<think>still thinking {F}python\nDRAFT\n{F}", ""),  # cut off while reasoning: no answer
    (f"{F}python\nA\n{F}\n<think>more", "A\n"),
    ([{"role": "assistant", "content": f"{F}python\nA\n{F}"}], "A\n"),  # TRL conversational
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "B"}, {"role": "tool", "content": "t"}],
     "B"),
    ([{"role": "assistant", "content": [{"type": "text", "text": f"{F}python\n"}, {"type": "text", "text": "C\n"}]}],
     "C\n"),
    ([], ""),
])
def test_extract_code(completion, code):
    assert extract_code(completion) == code
