"""Control: a correct solution that uses threads and a spread of stdlib imports.

Must hold: pass (threads are allowed: seccomp only refuses clone without CLONE_THREAD).

task: HumanEval/53
expect: pass
"""
import bisect
import collections
import concurrent.futures
import decimal
import fractions
import functools
import heapq
import itertools
import json
import math
import random
import re
import statistics
import string

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)


def add(x: int, y: int):
    return _pool.submit(lambda: x + y).result()
