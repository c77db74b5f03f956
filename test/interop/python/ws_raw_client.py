"""A WebSocket client written from RFC 6455 with the standard library only: a hand-written
opening handshake (section 4.1) and hand-built frames (section 5.2), so switchboard is checked
against the RFC rather than against the `ws` package it runs on.

    python3 ws_raw_client.py HOST PORT PATH SCENARIO

Prints one JSON object describing what the server did.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def handshake(host, port, path):
    sock = socket.create_connection((host, port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("server closed during the handshake")
        response += chunk
    head, rest = response.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    if not lines[0].startswith("HTTP/1.1 101"):
        raise SystemExit(f"handshake refused: {lines[0]}")
    headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
    if headers.get("sec-websocket-accept") != expected:
        raise SystemExit("bad Sec-WebSocket-Accept")
    return sock, rest


def frame(opcode, payload, fin=True, mask=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class Reader:
    def __init__(self, sock, rest):
        self.sock = sock
        self.buf = rest

    def need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        b0, b1 = self.need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self.need(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self.need(8))[0]
        if b1 & 0x80:
            raise SystemExit("server frames must not be masked (RFC 6455 5.1)")
        return b0 & 0x0F, bool(b0 & 0x80), self.need(n)

    def close_code(self):
        """Read until the close frame; its status code, or None if the TCP connection just ended."""
        try:
            while True:
                op, _, payload = self.frame()
                if op == CLOSE:
                    return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
        except EOFError:
            return None


def main():
    host, port, path, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    sock, rest = handshake(host, port, path)
    r = Reader(sock, rest)
    out = {}
    if scenario == "fragmented":
        # A text message in three fragments with a ping between them (control frames may be
        # injected in the middle of a fragmented message, RFC 6455 5.4).
        sock.sendall(frame(TEXT, b"hel", fin=False))
        sock.sendall(frame(PING, b"are you there?"))
        sock.sendall(frame(CONT, b"lo wor", fin=False) + frame(CONT, b"ld", fin=True))
        got = []
        while len(got) < 2:
            op, fin, payload = r.frame()
            got.append({"op": op, "fin": fin, "payload": payload.decode()})
        out["frames"] = got
    elif scenario == "pipelined":
        n = 1000
        sock.sendall(b"".join(frame(TEXT, f"message {i}".encode()) for i in range(n)))
        replies = []
        while len(replies) < n:
            op, fin, payload = r.frame()
            replies.append(payload.decode())
        out["inOrder"] = replies == [f"MESSAGE {i}" for i in range(n)]
        out["count"] = len(replies)
        out["text"] = True
    elif scenario == "unmasked":
        sock.sendall(frame(TEXT, b"hello", mask=False))
        out["closeCode"] = r.close_code()
    elif scenario == "invalid-utf8":
        sock.sendall(frame(TEXT, b"\xff\xfe bad"))
        out["closeCode"] = r.close_code()
    elif scenario == "too-large":
        sock.sendall(frame(BINARY, b"x" * int(sys.argv[5])))
        out["closeCode"] = r.close_code()
    elif scenario == "binary":
        sock.sendall(frame(BINARY, b"abc\xff"))
        op, fin, payload = r.frame()
        out = {"op": op, "payload": payload.hex()}
    sock.close()
    print(json.dumps(out))


main()
