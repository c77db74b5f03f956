# The tutorial TCP client: connect, send, recv(1024), print. Usage: tcp_upper_client.py PORT WORD...
import socket
import sys

port = int(sys.argv[1])
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))
for word in sys.argv[2:]:
    client.send(word.encode("utf-8"))
    data = client.recv(1024)
    print(data.decode("utf-8"))
client.close()
