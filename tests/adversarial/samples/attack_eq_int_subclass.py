"""An int subclass whose __eq__ always answers True.

Attack: a value that passes isinstance(v, int) checks and compares equal to anything.
Must hold: it crosses as its builtin int value (-987654321), read through int's own slot -> wrong output.

task: HumanEval/53
expect: fail
layers: judge
"""


class Liar(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__

    def __int__(self):
        return 5

    def __index__(self):
        return 5


def add(x: int, y: int):
    return Liar(-987654321)
