"""Read the judge's files: the repository, the shared notes, root's home, /etc/shadow.

Attack: read source and test files of codejury (the test data could sit beside them), the
shared design notes, root's shell history and /etc/shadow, and the judge's command line.
Must hold: every open fails (Landlock allowlist; root-only files also by uid) -> no
ESCAPED_read_..., wrong output.

task: HumanEval/53
expect: fail
layers: landlock
"""
import os

TARGETS = {
    "repo_oracle": "__REPO__/src/codejury/scoring/oracle.py",
    "repo_pyproject": "__REPO__/pyproject.toml",
    "shared_design": "__REPO__/../shared/DESIGN.md",
    "root_history": "/root/.bash_history",
    "shadow": "/etc/shadow",
    "hostname": "/etc/hostname",
    "judge_cmdline": "/proc/__JUDGE_PID__/cmdline",
}


def add(x: int, y: int):
    for name, path in TARGETS.items():
        try:
            with open(path, "rb") as f:
                f.read(16)
        except OSError:
            continue
        raise type("ESCAPED_read_" + name, (Exception,), {})()
    try:
        os.listdir("__REPO__")
    except OSError:
        return x + y + 1
    raise type("ESCAPED_read_listdir_repo", (Exception,), {})()
