"""The asyncio-streams upper server, as the Python docs' echo example, with len32be framing
(readexactly) or raw (read(65536)). Usage: python3 asyncio_upper.py [len32be|raw]"""
import asyncio
import struct
import sys

FRAMING = sys.argv[1] if len(sys.argv) > 1 else "len32be"


async def handle(reader, writer):
    try:
        if FRAMING == "raw":
            while data := await reader.read(65536):
                writer.write(data.upper())
                await writer.drain()
        else:
            while True:
                header = await reader.readexactly(4)
                (length,) = struct.unpack(">I", header)
                body = await reader.readexactly(length)
                writer.write(struct.pack(">I", length) + body.upper())
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on tcp://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
