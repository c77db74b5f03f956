# The tutorial UDP client: sendto, recvfrom. Usage: udp_client.py PORT WORD...  ('' sends an
# empty datagram, which must get an empty reply rather than hang.)
import socket
import sys

port = int(sys.argv[1])
client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.settimeout(5)
for word in sys.argv[2:]:
    client.sendto(word.encode("utf-8"), ("127.0.0.1", port))
    data, server = client.recvfrom(1024)
    print(repr(data.decode("utf-8")), server[1] == port)
client.close()
