"""UDP datagrams to a canary listener on 127.0.0.1 (Landlock does not cover UDP).

Attack: sendto the test's UDP canary (127.0.0.1:__UDP_PORT__), IPv4 and IPv6-mapped, and a
raw socket if allowed.
Must hold: socket() is refused by seccomp, and the network namespace is empty besides ->
the canary hears nothing; wrong output.

task: HumanEval/53
expect: fail
layers: seccomp, netns
"""
import socket


def add(x: int, y: int):
    attempts = [
        (socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", __UDP_PORT__)),
        (socket.AF_INET6, socket.SOCK_DGRAM, ("::ffff:127.0.0.1", __UDP_PORT__)),
        (socket.AF_INET, socket.SOCK_RAW, ("127.0.0.1", 0)),
    ]
    for family, kind, address in attempts:
        try:
            with socket.socket(family, kind) as s:
                s.sendto(b"cj_adv attack_network_udp", address)
        except OSError:
            continue
        raise type("ESCAPED_udp_" + str(int(kind)), (Exception,), {})()
    return x + y + 1
