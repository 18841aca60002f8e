"""Channel check: an exception type name reaches the verdict's reason unchanged.

The attacks report an escape by raising ESCAPED_<what>; this proves that channel works, so
"no ESCAPED in any reason" means something.

task: HumanEval/53
expect: error
reason: ESCAPED_channel_check
"""


def add(x: int, y: int):
    raise type("ESCAPED_channel_check", (Exception,), {})()
