"""Ignore every catchable signal, then spin.

Attack: SIG_IGN for SIGTERM, SIGINT, SIGHUP, SIGXCPU, SIGALRM, SIGUSR1/2, then an endless
CPU loop, hoping polite termination never works.
Must hold: the judge times the input out and kills with SIGKILL -> timeout.

task: HumanEval/53
expect: timeout
layers: limits
"""
import signal

for _sig in ("SIGTERM", "SIGINT", "SIGHUP", "SIGXCPU", "SIGALRM", "SIGUSR1", "SIGUSR2", "SIGXFSZ"):
    signal.signal(getattr(signal, _sig), signal.SIG_IGN)


def add(x: int, y: int):
    while True:
        pass
