"""/test_program with Open-Instruct's semantics (issue 19): each test has its own time limit, and one test that
is not Python fails alone — as Open-Instruct's exec of each test does — while the program is still judged
outside the candidate's process."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from test_server import running

HEAD = "def add(a, b):\n"
HANGS_ON_ZERO = HEAD + "    while a == 0:\n        pass\n    return a + b\n"
# Catches the per-test timer's interruption and hangs again: the judge stops the process, and the tests
# after it run in a fresh one.
STUBBORN = (HEAD + "    while a == 0:\n        try:\n            while True:\n                pass\n"
            "        except BaseException:\n            pass\n    return a + b\n")
TESTS = ["assert add(0, 0) == 0", "assert add(1, 2) == 3", "assert add(2, 2) == 4"]


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with running(workers=2) as (url, _service):
        yield url


def post(base: str, program: str, tests: list[str], seconds: float = 1.0) -> dict:
    r = httpx.post(f"{base}/test_program", json={"program": program, "tests": tests, "max_execution_time": seconds},
                   timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_test_that_is_not_python_fails_alone(base: str) -> None:
    out = post(base, HEAD + "    return a + b\n",
               ["assert add(1, 2) == 3", "assert add(1, 2) ==", "assert add(2, 2) == 4"])
    assert out["results"] == [1, 0, 1] and out["runtimes"][1] == -1.0
    assert post(base, HEAD + "    return a + b\n", ["assert (", "not python"])["results"] == [0, 0]


@pytest.mark.parametrize("program", [HANGS_ON_ZERO, STUBBORN], ids=["interruptible", "stubborn"])
def test_each_test_has_its_own_time_limit(base: str, program: str) -> None:
    t0 = time.monotonic()
    out = post(base, program, TESTS, seconds=0.5)
    assert out["results"] == [0, 1, 1]  # the hang fails its own test only
    assert out["runtimes"][0] == -1.0 and all(0 <= t < 0.5 for t in out["runtimes"][1:])
    assert time.monotonic() - t0 < 10


def test_a_hanging_test_does_not_eat_the_others_budget(base: str) -> None:
    many = ["assert add(0, 0) == 0"] + [f"assert add({i}, 1) == {i + 1}" for i in range(1, 20)]
    out = post(base, HANGS_ON_ZERO, many, seconds=0.3)
    assert out["results"] == [0] + [1] * 19


PRIMES = ("LIMIT = 10\n\n\ndef is_prime(n):\n    return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))\n\n\n"
          "def next_prime(n):\n    n += 1\n    while not is_prime(n):\n        n += 1\n    return n\n")


def test_tests_may_call_any_function_the_program_defines(base: str) -> None:
    out = post(base, PRIMES, ["assert next_prime(3) == 5", "assert is_prime(7)", "assert not is_prime(9)",
                              "assert missing(1) == 1", "assert LIMIT == 10"])
    # every function by its name, as Open-Instruct's exec gives them, and a global's value; an undefined name
    # fails its test
    assert out["results"] == [1, 1, 1, 0, 1]


def test_a_named_function_cannot_smuggle_an_object_past_the_judge(base: str) -> None:
    program = ("class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n\n\n"
               "def helper(x):\n    return AlwaysEqual()\n\n\ndef f(x):\n    return x\n")
    out = post(base, program, ["assert f(1) == 1", "assert helper(1) == 2", "assert helper(1) != helper(2) or 1"])
    assert out["results"] == [1, 0, 0]  # the always-equal object does not cross: unserializable, a failure


def test_a_test_may_pass_functions_of_its_own(base: str) -> None:
    program = "def apply(f, x, key=None):\n    return f(x) if key is None else sorted(x, key=key)\n"
    out = post(base, program, [
        "assert apply(lambda x: x + 1, 1) == 2",             # a lambda of the test
        "assert apply(abs, -3) == 3",                         # a builtin
        "assert apply(str, 5) == '5'",                        # a builtin class
        "assert apply(None, [3, 1, 2], key=lambda v: -v) == [3, 2, 1]",  # by keyword
        "def twice(v, n=2):\n    return v * n\nassert apply(twice, 4) == 8",  # a def of the test, with a default
        "k = 10\nassert apply(lambda x: x + k, 1) == 11",   # a closure over the test's variable: cannot cross
    ])
    assert out["results"] == [1, 1, 1, 1, 1, 0]


def test_what_the_program_returns_is_never_revived_in_the_judge(base: str) -> None:
    # A program that answers with the portable form of a function gets a dict compared, nothing more.
    program = ("import marshal\n\n\ndef f(x):\n    return {'\\x00codereward:function': marshal.dumps((lambda: True)"
               ".__code__), 'defaults': []}\n")
    out = post(base, program, ["assert f(1) == True", "assert f(1)() == True", "assert callable(f(1)) is False"])
    assert out["results"] == [0, 0, 1]  # a dict holding bytes: not True, not callable


def test_a_test_may_read_the_programs_globals_and_hand_its_functions_back(base: str) -> None:
    program = PRIMES + "PRIMES = [2, 3, 5]\nTABLE = {'a': 1}\nOBJ = object()\n\n\ndef apply(f, x):\n    return f(x)\n"
    out = post(base, program, [
        "assert LIMIT == 10",                      # a plain global, as loaded
        "assert PRIMES[-1] == 5 and TABLE['a'] == 1",
        "assert apply(is_prime, 7)",               # one of its functions, handed back to it
        "assert all(map(is_prime, PRIMES))",       # or called from the judge's side
        "assert OBJ is not None",                  # not plain data: cannot cross
        "assert UNDEFINED == 1",
    ])
    assert out["results"] == [1, 1, 1, 1, 0, 0]


def test_a_standard_module_the_program_imports_is_the_judges_own_copy(base: str) -> None:
    program = "import math\nimport os.path\n\n\ndef area(r):\n    return math.pi * r * r\n"
    out = post(base, program, ["assert math.isclose(area(1), 3.14159, rel_tol=1e-5)", "assert area(0) == 0",
                               "assert os.path.sep == '/'"])
    assert out["results"] == [1, 1, 1]
