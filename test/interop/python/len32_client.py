# The "sticky packet" cure from the tutorials: a 4-byte length header made with struct, then the
# body. Usage: len32_client.py PORT FORMAT WORD...  (FORMAT 'i' is native: little-endian on x86;
# '>I' is big-endian). All requests go out in ONE send, glued together, to prove the server splits
# them; the replies are read back with the tutorial's recv loop.
import socket
import struct
import sys

port, fmt, words = int(sys.argv[1]), sys.argv[2], sys.argv[3:]


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(min(1024, n - len(data)))
        if not chunk:
            raise ConnectionError("server closed mid-frame")
        data += chunk
    return data


client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))
glued = b"".join(struct.pack(fmt, len(w.encode("utf-8"))) + w.encode("utf-8") for w in words)
client.sendall(glued)
for _ in words:
    (length,) = struct.unpack(fmt, recv_exactly(client, 4))
    print(recv_exactly(client, length).decode("utf-8"))
client.close()
