"""The tutorials' server: socketserver.ThreadingTCPServer, a thread per connection, a recv loop.
Usage: python3 threading_upper.py [len32be|raw]"""
import socketserver
import struct
import sys

FRAMING = sys.argv[1] if len(sys.argv) > 1 else "len32be"


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        try:
            if FRAMING == "raw":
                while data := sock.recv(1024):
                    sock.sendall(data.upper())
            else:
                while (header := recv_exactly(sock, 4)) is not None:
                    (length,) = struct.unpack(">I", header)
                    body = recv_exactly(sock, length)
                    if body is None:
                        return
                    sock.sendall(struct.pack(">I", length) + body.upper())
        except ConnectionError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


with Server(("127.0.0.1", 0), Handler) as server:
    print(f"listening on tcp://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
