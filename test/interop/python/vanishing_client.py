# A client that sends half a message and then dies without closing anything, as a crashed
# program does. Usage: vanishing_client.py PORT
import os
import socket
import struct
import sys

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", int(sys.argv[1])))
client.sendall(struct.pack(">I", 100) + b"only part of it")
print("vanishing", flush=True)
os._exit(3)
