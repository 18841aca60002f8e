"""Control: a correct solution that writes and reads a temporary file.

Must hold: pass (each sample has a private writable work dir as its TMPDIR).

task: HumanEval/23
expect: pass
"""
import os
import tempfile


def strlen(string: str) -> int:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", delete=False) as f:
        f.write(string)
        name = f.name
    with open(name, encoding="utf-8", newline="") as f:
        n = len(f.read())
    os.unlink(name)
    return n
