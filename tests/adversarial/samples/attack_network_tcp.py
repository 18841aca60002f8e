"""TCP to a canary listener on 127.0.0.1, and a listening socket of its own.

Attack: connect to the test's TCP canary (127.0.0.1:__TCP_PORT__) and send the attack's name;
also try "localhost", and bind + listen on a port (a backdoor).
Must hold: no socket can be created (seccomp), and the sandbox has its own empty network
namespace besides -> the canary hears nothing; wrong output.

task: HumanEval/53
expect: fail
layers: seccomp, netns, landlock
"""
import socket


def add(x: int, y: int):
    for host in ("127.0.0.1", "localhost"):
        try:
            with socket.create_connection((host, __TCP_PORT__), timeout=1) as s:
                s.sendall(b"cj_adv attack_network_tcp")
        except OSError:
            continue
        raise type("ESCAPED_tcp_connect", (Exception,), {})()
    try:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen()
    except OSError:
        return x + y + 1
    raise type("ESCAPED_tcp_listen", (Exception,), {})()
