# SPDX-License-Identifier: MIT
# The classic reset stories as a user's Python program meets them, for `rstlab exec` tests.
# One process plays both ends over loopback: a thread serves, the main thread dials.
#   classic.py broken-pipe     the server closes at once; a later send raises
#                              "BrokenPipeError: [Errno 32] Broken pipe" (CPython ignores SIGPIPE)
#   classic.py reset-by-peer   the server closes with unread data (RST); recv raises
#                              "ConnectionResetError: [Errno 104] Connection reset by peer"
#   classic.py epoll-sendmsg   the server waits with select.epoll, reads 1 byte, closes (RST);
#                              the client's next sendmsg(MSG_NOSIGNAL) raises
#                              "ConnectionResetError: [Errno 104] Connection reset by peer"
# Against the crafted peer (`rstlab exec --peer`), one end only; the other's address from
# argv[2] or RSTLAB_SERVER (ADDR:PORT, IPv4):
#   classic.py peer-client     sends "a", reads to EOF (the peer closed), sends "b" (answered
#                              by RST), then "c": BrokenPipeError
#   classic.py peer-server     listens there, reads what the peer sent, reads again:
#                              ConnectionResetError after the peer's RST
import os
import select
import socket
import sys
import threading
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "broken-pipe"
if mode in ("peer-client", "peer-server"):
    host, port = (sys.argv[2] if len(sys.argv) > 2 else os.environ["RSTLAB_SERVER"]).rsplit(":", 1)
    if mode == "peer-server":
        lst = socket.create_server((host, int(port)))
        conn, _ = lst.accept()
        while conn.recv(64):
            pass
    else:
        conn = socket.create_connection((host, int(port)))
        conn.send(b"a")
        while conn.recv(64):
            pass
        conn.send(b"b")
        time.sleep(0.02)
        conn.send(b"c")
    sys.exit(0)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 8080))
srv.listen()


def serve():
    conn, _ = srv.accept()
    if mode == "reset-by-peer":
        conn.recv(1)  # the other 4 bytes stay unread: close() answers with an RST
    elif mode == "epoll-sendmsg":
        ep = select.epoll()
        ep.register(conn.fileno(), select.EPOLLIN)
        if not ep.poll(2):
            sys.exit("epoll: nothing to read")
        conn.recv(1)  # the other 4 bytes stay unread: close() answers with an RST
        ep.close()
    conn.close()


server = threading.Thread(target=serve)
server.start()
client = socket.create_connection(("127.0.0.1", 8080))
if mode == "reset-by-peer":
    client.sendall(b"hello")
    server.join()
    time.sleep(0.02)
    client.recv(16)
elif mode == "epoll-sendmsg":
    for i in range(3):
        client.sendmsg([b"hello"], [], socket.MSG_NOSIGNAL)
        if i == 0:
            server.join()
        time.sleep(0.02)
else:
    server.join()
    time.sleep(0.02)
    for i in range(3):
        client.send(b"hello")
        time.sleep(0.02)
