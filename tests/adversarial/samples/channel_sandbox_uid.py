"""Channel check: samples run as a sandbox uid of this run's range.

Reports os.getuid() by exception type name: UID_SANDBOX when it is in
[__UID_LO__, __UID_HI__), else the number.

task: HumanEval/53
expect: error
reason: UID_SANDBOX
"""
import os


def add(x: int, y: int):
    uid = os.getuid()
    name = "UID_SANDBOX" if __UID_LO__ <= uid < __UID_HI__ else "UID_%d" % uid
    raise type(name, (Exception,), {})()
