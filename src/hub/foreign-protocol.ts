/**
 * DESIGN §7 / issue 13: a chat port gets requests meant for other servers — a web page's
 * `POST` (its headers would be relayed to the lobby and a `/nick` in its body run), a TLS client's
 * ClientHello (binary relayed and kept in history). As IRC servers do, such a connection is closed
 * at once, before anything it sent is relayed.
 */

/** `GET / HTTP/1.1`: an HTTP request line (methods of RFC 9110 and WebDAV's usual ones). */
const HTTP_REQUEST_LINE =
  /^(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK) \S+ HTTP\/\d(?:\.\d)?\r?$/;

/** TLS handshake record: content type 22, protocol major version 3 (SSL 3.0 to TLS 1.3). */
const TLS_HANDSHAKE = 0x16;
const TLS_MAJOR = 0x03;

/** What the first bytes of a connection are, if they are another protocol's: 'HTTP request', 'TLS handshake'. */
export function foreignProtocolOfFirstBytes(chunk: Buffer): string | undefined {
  if (chunk.length === 0) return undefined;
  // One byte is enough to refuse: 0x16 is a control character no chat line starts with, and a TLS
  // client waits for our answer rather than sending a newline.
  if (chunk[0] === TLS_HANDSHAKE && (chunk.length === 1 || chunk[1] === TLS_MAJOR)) {
    return 'TLS handshake';
  }
  return undefined;
}

/** What the first line of a connection is, if it is another protocol's. */
export function foreignProtocolOfFirstLine(line: Buffer): string | undefined {
  const first = foreignProtocolOfFirstBytes(line);
  if (first !== undefined) return first;
  if (line.length > 8_192) return undefined;
  return HTTP_REQUEST_LINE.test(line.toString('latin1')) ? 'HTTP request' : undefined;
}
