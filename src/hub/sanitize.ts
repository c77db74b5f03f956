/**
 * What a member sends is shown on other people's terminals. DESIGN §6: control characters are
 * stripped from what is relayed, so nobody can forge another's `<nick>` with a `\r`, clear screens
 * with `ESC[2J`, ring bells, or reverse text with bidi overrides.
 */

/* eslint-disable no-control-regex -- matching control characters is this file's whole purpose */

// ANSI escape sequences first (so their parameters go too): CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`,
// and two-byte `ESC X`; the 8-bit CSI (U+009B) likewise.
const ESCAPE_SEQUENCE =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?/g;
// C0 except tab, DEL, C1, and the bidi embedding/override/isolate controls and marks.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The text with every escape sequence and control character removed (tab kept). */
export function stripControls(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}
