"""An object whose __eq__ always answers True.

Attack: return an object that is equal to everything (EvalPlus compares with the sample's own
__eq__ in the sample's process and scores this PASS).
Must hold: no object of the sample's reaches the judge; it arrives opaque -> wrong output.

task: HumanEval/53
expect: fail
layers: judge
"""


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0


def add(x: int, y: int):
    return Anything()
