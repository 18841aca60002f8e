"""Unit-test checks in the real sandbox: right answers pass, and nothing else forges a pass."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from codejury.sandbox.jail import Pool, Worker
from codejury.sandbox.limits import Limits
from codejury.taskeval.checks import CheckResult
from codejury.taskeval.codetests import CodeJob, CodeTester, run_unit_tests
from codejury.taskeval.models import UnitTestsCheck, load_tasks

pytestmark = pytest.mark.timeout(300)

TESTS = """\
import unittest

SECRET = 7919


def test_small():
    assert add(1, 2) == 3


def test_secret():
    assert add(SECRET, 0) == SECRET


def test_float():
    assert abs(add(0.1, 0.2) - 0.3) < 1e-9


class Big(unittest.TestCase):
    def test_big(self):
        self.assertEqual(add(10**20, 1), 10**20 + 1)
"""


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    with Pool(1) as pool:
        yield pool.acquire()


@pytest.fixture(scope="module")
def check(tmp_path_factory: pytest.TempPathFactory) -> UnitTestsCheck:
    where = tmp_path_factory.mktemp("tests")
    (where / "test_add.py").write_text(TESTS)
    (where / "tasks.jsonl").write_text(
        '{"id": "add", "prompt": "add", "checks": [{"kind": "unit_tests", "entry_point": "add", '
        '"tests_file": "test_add.py", "timeout_s": 2}]}\n'
    )
    found = load_tasks(where / "tasks.jsonl").tasks["add"].checks[0]
    assert isinstance(found, UnitTestsCheck)
    return found


def run(worker: Worker, check: UnitTestsCheck, code: str) -> CheckResult:
    return run_unit_tests(worker, code, check, Limits())


def test_a_right_answer_passes_every_test(worker: Worker, check: UnitTestsCheck) -> None:
    result = run(worker, check, "def add(a, b):\n    return a + b\n")
    assert result.status == "pass", result.reason
    assert result.detail["tests"] == dict.fromkeys(EVERY, "pass")


def test_a_wrong_answer_fails_with_the_test_line(worker: Worker, check: UnitTestsCheck) -> None:
    result = run(worker, check, "def add(a, b):\n    return a + b if a < 100 else 0\n")
    assert result.status == "fail"
    assert result.detail["tests"] == {
        "test_small": "pass",
        "test_secret": "fail",
        "test_float": "pass",
        "Big.test_big": "fail",
    }
    assert result.detail["failed_test"] == "test_secret"
    assert result.detail["source_line"] == "assert add(SECRET, 0) == SECRET"
    assert "line 11" in result.reason


def test_errors_timeouts_and_missing_code(worker: Worker, check: UnitTestsCheck) -> None:
    raised = run(worker, check, "def add(a, b):\n    return {}[a]\n")
    assert raised.status == "error" and "KeyError" in raised.reason
    assert run(worker, check, "").status == "no_code"
    missing = run(worker, check, "def plus(a, b):\n    return a + b\n")
    assert missing.status == "error" and "NameError" in missing.reason
    broken = run(worker, check, "def add(a, b) return a + b\n")
    assert broken.status == "error" and "SyntaxError when loaded" in broken.reason
    hang = run(worker, check, "def add(a, b):\n    while True:\n        pass\n")
    assert hang.status == "timeout"
    assert hang.detail["tests"] == {"test_small": "timeout"} | dict.fromkeys(EVERY[1:], "not run")


EVERY = ("test_small", "test_secret", "test_float", "Big.test_big")
EQUALITY = ("test_small", "test_secret", "Big.test_big")

# Answers that try to pass without being right, and the tests each one would pass if the
# harness let it. None may pass.
CHEATS = {
    "exit in the function": ("import sys\ndef add(a, b):\n    sys.exit(0)\n", EVERY),
    "os._exit in the function": ("import os\ndef add(a, b):\n    os._exit(0)\n", EVERY),
    "os._exit while loading": ("import os\nos._exit(0)\n", EVERY),
    "SystemExit while loading": ("raise SystemExit(0)\n", EVERY),
    "kill itself": (
        "import os, signal\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
        EVERY,
    ),
    "KeyboardInterrupt": ("def add(a, b):\n    raise KeyboardInterrupt\n", EVERY),
    "skip every test": (
        "import unittest\ndef add(a, b):\n    raise unittest.SkipTest('later')\n",
        EVERY,
    ),
    "always-equal object": (
        "class Same:\n    def __eq__(self, other):\n        return True\n"
        "def add(a, b):\n    return Same()\n",
        EQUALITY,
    ),
    "lying int subclass": (
        "class Liar(int):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n"
        "def add(a, b):\n    return Liar(0)\n",
        EQUALITY,
    ),
    "patch unittest asserts": (
        "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\n"
        "def add(a, b):\n    return 0\n",
        ("Big.test_big",),
    ),
    "patch builtins": (
        "import builtins\nbuiltins.abs = lambda x: 0\n"
        "builtins.AssertionError = type('Quiet', (Exception,), {})\n"
        "def add(a, b):\n    return 0\n",
        ("test_float",),
    ),
    "replace unittest in sys.modules": (
        "import sys, types\nfake = types.ModuleType('unittest')\n"
        "class TestCase:\n    def __init__(self, name): pass\n    def setUp(self): pass\n"
        "    def tearDown(self): pass\n    def doCleanups(self): pass\n"
        "    @classmethod\n    def setUpClass(cls): pass\n"
        "    def assertEqual(self, a, b): pass\n"
        "fake.TestCase = TestCase\nfake.SkipTest = Exception\nsys.modules['unittest'] = fake\n"
        "def add(a, b):\n    return 0\n",
        ("Big.test_big",),
    ),
}


@pytest.mark.parametrize("name", list(CHEATS))
def test_cheats_do_not_pass(worker: Worker, check: UnitTestsCheck, name: str) -> None:
    code, targets = CHEATS[name]
    result = run(worker, check, code)
    assert result.status != "pass", result
    for test in targets:
        assert result.detail["tests"][test] != "pass", (test, result)


def test_without_plain_results_an_always_equal_object_would_pass(
    worker: Worker, check: UnitTestsCheck
) -> None:
    # The control for the cheat above: the copy of return values is what stops it.
    unguarded = dataclasses.replace(check, plain_results=False)
    result = run(worker, unguarded, CHEATS["always-equal object"][0])
    assert result.detail["tests"]["test_small"] == "pass"


def test_the_tests_are_out_of_reach_of_the_answer(worker: Worker, check: UnitTestsCheck) -> None:
    # Right everywhere except on the secret, which it can only learn by reading the tests:
    # from any file it can find (the task file's directory lies under /tmp here), or from
    # the source a traceback would show.
    steal = (
        "import glob, linecache, re\n"
        "FOUND = {}\n"
        "paths = glob.glob('/tmp/**/test_add.py', recursive=True) + glob.glob('/**/*.py')\n"
        "for path in paths[:2000]:\n"
        "    try:\n"
        "        FOUND.update(re.findall(r'(SECRET) = (\\d+)', open(path).read()))\n"
        "    except OSError:\n"
        "        pass\n"
        "def add(a, b):\n"
        "    if a == 7919:\n"
        "        lines = ''.join(linecache.getlines('<tests>'))\n"
        "        FOUND.update(re.findall(r'(SECRET) = (\\d+)', lines))\n"
        "        return int(FOUND.get('SECRET', 0))\n"
        "    return a + b\n"
    )
    result = run(worker, check, steal)
    assert result.status == "fail", result
    assert result.detail["tests"]["test_secret"] == "fail"
    assert result.detail["tests"]["test_small"] == "pass"
    # The control: the same answer with the secret in its own file does pass.
    assert run(worker, check, steal.replace("FOUND = {}", "FOUND = {'SECRET': 7919}")).passed


def test_plain_results_off_lets_tests_see_objects(worker: Worker) -> None:
    tests = "def test_point():\n    p = make(1, 2)\n    assert (p.x, p.y) == (1, 2)\n    assert p == Point(1, 2)\n"
    code = (
        "from dataclasses import dataclass\n@dataclass\nclass Point:\n    x: int\n    y: int\n"
        "def make(x, y):\n    return Point(x, y)\n"
    )
    objects = UnitTestsCheck("u", 1, tests, "inline", ("test_point",), "make", 2.0, False)
    assert run_unit_tests(worker, code, objects, Limits()).passed
    plain = UnitTestsCheck("u", 1, tests, "inline", ("test_point",), "make", 2.0, True)
    refused = run_unit_tests(worker, code, plain, Limits())
    assert refused.status == "error" and "not plain data" in refused.reason


def test_generators_tuples_and_floats_survive_the_plain_copy(worker: Worker) -> None:
    tests = (
        "import math\n"
        "from solution import big as imported_big\n"
        "def test_values():\n"
        "    assert list(gen(3)) == [0, 1, 4]\n"
        "    assert pair() == (1, 'a') and type(pair()) is tuple\n"
        "    assert math.isnan(nan()) and big() == 2**100 == imported_big()\n"
    )
    code = (
        "def gen(n):\n    for i in range(n):\n        yield i * i\n"
        "def pair():\n    return (1, 'a')\n"
        "def nan():\n    return float('nan')\n"
        "def big():\n    return 2**100\n"
    )
    check = UnitTestsCheck("u", 1, tests, "inline", ("test_values",), None, 2.0, True)
    result = run_unit_tests(worker, code, check, Limits())
    assert result.passed, result.reason


def test_tests_that_do_not_load_fail_every_test(worker: Worker) -> None:
    check = UnitTestsCheck(
        "u", 1, "import nosuchmodule\ndef test_a():\n    pass\n", "x", ("test_a",)
    )
    result = run_unit_tests(worker, "def f():\n    pass\n", check, Limits())
    assert result.status == "error" and "did not load" in result.reason


def test_the_tester_runs_jobs_on_several_workers(check: UnitTestsCheck) -> None:
    from codejury.sandbox.jail import SandboxConfig

    good, bad = "def add(a, b):\n    return a + b\n", "def add(a, b):\n    return 0\n"
    jobs = [CodeJob(i, good if i % 2 == 0 else bad, check) for i in range(6)]
    seen: dict[object, str] = {}
    tester = CodeTester(2, SandboxConfig(), Limits())
    tester.run(jobs, lambda job, result: seen.__setitem__(job.key, result.status))
    assert seen == {0: "pass", 1: "fail", 2: "pass", 3: "fail", 4: "pass", 5: "fail"}
    assert tester.isolation is not None and tester.isolation.seccomp


def test_modules_the_tests_import_cannot_be_replaced_by_the_answer(worker: Worker) -> None:
    tests = "import json\n\ndef test_json():\n    assert json.loads(dump({'a': 1})) == {'a': 1}\n"
    check = UnitTestsCheck("u", 1, tests, "inline", ("test_json",), "dump", 2.0, True)
    planted = (
        "import sys, types\n"
        "class Same:\n    def __eq__(self, other):\n        return True\n"
        "fake = types.ModuleType('json')\nfake.loads = lambda text: Same()\n"
        "sys.modules['json'] = fake\n"
        "def dump(value):\n    return 'not json'\n"
    )
    result = run_unit_tests(worker, planted, check, Limits())
    assert result.status == "error" and "JSONDecodeError" in result.reason
    honest = "import json\ndef dump(value):\n    return json.dumps(value)\n"
    assert run_unit_tests(worker, honest, check, Limits()).passed
