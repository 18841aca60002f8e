"""Unix sockets: an abstract-namespace canary and a pathname canary.

Attack: connect to the test's abstract unix socket (no file permissions apply to those) and
to its pathname socket in the test's tmp dir; a netlink socket for good measure.
Must hold: socket() is refused (socketpair alone stays allowed), the network namespace has
its own abstract namespace, Landlock scopes abstract sockets, /tmp is private -> nothing
reaches the canaries; wrong output.

task: HumanEval/53
expect: fail
layers: seccomp, netns, landlock-scope
"""
import socket


def add(x: int, y: int):
    for address in ("\0__ABSTRACT_NAME__", "__UNIX_PATH__"):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(1)
                s.connect(address)
                s.sendall(b"cj_adv attack_network_unix")
        except OSError:
            continue
        raise type("ESCAPED_unix_" + ("abstract" if address[0] == "\0" else "path"), (Exception,), {})()
    try:
        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close()
    except OSError:
        return x + y + 1
    raise type("ESCAPED_netlink", (Exception,), {})()
