# The tutorial Unix-domain client. Usage: unix_client.py PATH WORD
import socket
import sys

client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(sys.argv[1])
client.sendall(sys.argv[2].encode("utf-8"))
client.shutdown(socket.SHUT_WR)
reply = b""
while True:
    data = client.recv(1024)
    if not data:
        break
    reply += data
print(reply.decode("utf-8"))
client.close()
