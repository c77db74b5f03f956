/* eslint-disable no-control-regex -- making control characters visible is this file's purpose */

// C0 except tab and newline, DEL, C1, and bidi controls: never written raw to a terminal.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`; // ESC -> ^[, BEL -> ^G, as cat -v shows
  if (code === 0x7f) return '^?';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/**
 * Text safe to print on a terminal: control characters and escape sequences shown as `^[`, `^G`,
 * `<U+202E>`, so whatever a server (or a member through it) sends cannot move the cursor, clear
 * the screen or reorder text. Tabs and newlines stay.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, visible);
}
