"""Write .pth files (run at every interpreter start) into site-packages.

Attack: drop a .pth file into every site-packages of the sandbox's interpreter, Debian's
dist-packages, /usr/local, and the judge's own interpreter (__JUDGE_SITE__), so the next
Python started on the machine runs it. The content is inert (a comment) on purpose.
Must hold: every write is refused (Landlock; /usr is root's) -> no new .pth; wrong output.

task: HumanEval/53
expect: fail
layers: landlock, setuid
"""
import site
import sys

DIRS = list(site.getsitepackages()) + [
    "/usr/lib/python3/dist-packages",
    "/usr/local/lib/python3.11/dist-packages",
    "/usr/lib/python%d.%d" % sys.version_info[:2],
] + [p for p in "__JUDGE_SITE__".split(":") if p]


def add(x: int, y: int):
    for directory in DIRS:
        try:
            with open(directory + "/cj_adv_pwned.pth", "x") as f:
                f.write("# cj_adv marker\n")
        except OSError:
            continue
        raise type("ESCAPED_pth_" + directory.replace("/", "_")[:50], (Exception,), {})()
    return x + y + 1
