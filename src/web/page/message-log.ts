/**
 * The message list. Every message is rendered as text (`textContent`, DESIGN §6): what a member
 * sends can never become markup, a script or a link. The view follows new lines only while the
 * reader is at the bottom; a reader who scrolled up keeps their place and gets a "new messages"
 * button instead.
 */
import type { ChatLine } from '../../hub/protocol.js';

/** Older lines go past this many, so a long session does not grow the page without bound. */
const MAX_LINES = 1000;
/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK_PX = 48;

function span(className: string, text: string): HTMLSpanElement {
  const s = document.createElement('span');
  s.className = className;
  s.textContent = text;
  return s;
}

export class MessageLog {
  constructor(
    private readonly list: HTMLOListElement,
    private readonly jump: HTMLButtonElement,
  ) {
    list.addEventListener('scroll', () => {
      if (this.atBottom()) this.jump.hidden = true;
    });
    jump.addEventListener('click', () => {
      this.scrollToEnd();
      this.list.focus();
    });
  }

  private atBottom(): boolean {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight <= BOTTOM_SLACK_PX;
  }

  scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
    this.jump.hidden = true;
  }

  private append(item: HTMLLIElement): void {
    const follow = this.atBottom();
    this.list.append(item);
    while (this.list.childElementCount > MAX_LINES) this.list.firstElementChild?.remove();
    if (follow) this.scrollToEnd();
    else this.jump.hidden = false;
  }

  /** A line from the server, classified by protocol.ts's parseLine. */
  show(line: ChatLine, self = false): void {
    const li = document.createElement('li');
    switch (line.kind) {
      case 'line':
        li.className = `line${line.action ? ' action' : ''}${line.history ? ' history' : ''}${self ? ' self' : ''}`;
        li.append(span('nick', line.nick), span('text', line.text));
        break;
      case 'private':
        li.className = 'private';
        li.append(span('who', `private from ${line.from}: `), span('text', line.text));
        break;
      case 'private-echo':
        li.className = 'private self';
        li.append(span('who', `private to ${line.to}: `), span('text', line.text));
        break;
      case 'notice':
        li.className = `notice${line.history ? ' history' : ''}`;
        li.append(span('text', line.text));
        break;
      case 'other':
        li.className = 'other';
        li.append(span('text', line.text));
        break;
    }
    this.append(li);
  }

  /** A note of the page's own (connection state), set apart from the server's lines. */
  separator(text: string): void {
    const li = document.createElement('li');
    li.className = 'separator';
    li.textContent = text;
    this.append(li);
  }
}
