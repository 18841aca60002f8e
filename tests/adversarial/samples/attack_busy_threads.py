"""Burn CPU in background threads while the calling thread sleeps.

Attack: four threads spin while the main thread sleeps, so the main thread's own clock looks
idle and queued (it waits for a CPU), hoping the judge's elapsed-minus-queued time stalls.
Must hold: total CPU and wall-time backstops still end it -> timeout.

task: HumanEval/53
expect: timeout
layers: limits
"""
import threading
import time


def _spin():
    while True:
        pass


def add(x: int, y: int):
    for _ in range(4):
        threading.Thread(target=_spin, daemon=True).start()
    time.sleep(10**6)
