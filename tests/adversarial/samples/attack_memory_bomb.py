"""Memory bomb: one 100 GiB allocation, then 64 MiB blocks until refused.

Attack: allocate far more than the machine has, then grow a list of 64 MiB blocks until the
allocator says no. The blocks are bytes(n) (calloc: pages stay untouched): the address-space
limit counts them all the same, and touching 1 GiB could make this a timeout instead.
Must hold: RLIMIT_AS stops it inside the child (MemoryError) -> memory; the host is unharmed.

task: HumanEval/53
expect: memory
layers: limits
"""
blocks = []


def add(x: int, y: int):
    try:
        bytearray(100 << 30)
    except MemoryError:
        pass
    while True:
        blocks.append(bytes(64 << 20))
