"""Smuggle terminal escapes and a fake verdict through an exception type name.

Attack: the judge records the type name of the sample's exception as the verdict's reason,
which reports and consoles print. Raise an exception whose class name is ANSI escapes, a
newline and "PASS" (type() accepts any string as a name).
Must hold: never pass (the verdict is "error"); the reason should not carry control
characters (checked by test_reasons_are_printable_text).

task: HumanEval/53
expect: error
layers: judge
"""


def add(x: int, y: int):
    raise type("\x1b[2K\r\x1b[32mPASS\x1b[0m\nall tests passed", (Exception,), {})()
