/**
 * The web chat page (DESIGN §6): the same rooms as `nc` users, over the listener's WebSocket, one
 * line per text message. The protocol's lines are classified by src/hub/protocol.ts, bundled into
 * this script, so the page and the hub cannot drift apart.
 */
import {
  NOTICE_PREFIX,
  actionLine,
  parseLine,
  parseRooms,
  parseSelfNotice,
  parseWho,
  roomLine,
  type RoomEntry,
} from '../../hub/protocol.js';
import { NickReclaim } from '../../client/nick-reclaim.js';
import { ResumeTracker } from '../../client/resume.js';
import { ChatLink, type LinkState } from './connection.js';
import { MessageLog } from './message-log.js';

/** Gather the refresh of the side panels: one /who and one /rooms for a burst of notices. */
const REFRESH_DELAY_MS = 300;
/** How long to wait for the answer to `/resume` before showing lines as they come. */
const RESUME_TIMEOUT_MS = 10_000;
const NICK_KEY = 'switchboard.nick';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no #${id}`);
  return found;
}

const statusText = element('status', HTMLParagraphElement);
const nickForm = element('nick-form', HTMLFormElement);
const nickInput = element('nick-input', HTMLInputElement);
const roomsList = element('rooms', HTMLUListElement);
const joinForm = element('join-form', HTMLFormElement);
const joinInput = element('join-input', HTMLInputElement);
const roomTitle = element('room-title', HTMLHeadingElement);
const membersTitle = element('members-title', HTMLHeadingElement);
const membersList = element('members', HTMLUListElement);
const sendForm = element('send-form', HTMLFormElement);
const messageInput = element('message-input', HTMLInputElement);
const log = new MessageLog(element('log', HTMLOListElement), element('jump', HTMLButtonElement));

/** What the hub told us about ourselves, and what we asked for (to ask again after a reconnect). */
const state = {
  nick: '',
  room: undefined as string | undefined,
  wantedNick: readStoredNick(),
  wantedRoom: undefined as string | undefined,
  /** /who and /rooms the page sent itself: their replies fill the panels, not the log. */
  pendingWho: 0,
  pendingRooms: 0,
  refreshTimer: undefined as ReturnType<typeof setTimeout> | undefined,
  everOpen: false,
  outage: false,
  /** A greeting has been answered on an earlier connection: the next one is a reconnect. */
  everGreeted: false,
  resumeTimer: undefined as ReturnType<typeof setTimeout> | undefined,
};

/**
 * DESIGN §6 resume, as `switchboard chat --reconnect` does it (src/client/resume.ts): numbered
 * room lines, each shown once; after a reconnect the lines missed, or the server's notice of a gap.
 */
const tracker = new ResumeTracker();
const reclaim = new NickReclaim({
  send: (line) => void link.send(line),
  tell: (text) => log.separator(text),
});

function readStoredNick(): string | undefined {
  try {
    return localStorage.getItem(NICK_KEY) ?? undefined;
  } catch {
    return undefined; // storage may be off; the nick is then asked for again
  }
}

function storeNick(nick: string): void {
  try {
    localStorage.setItem(NICK_KEY, nick);
  } catch {
    // as above
  }
}

const wsPath = document.body.dataset.wsPath ?? '/chat';
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${wsPath.startsWith('/') ? wsPath : '/chat'}`;

const link = new ChatLink(wsUrl, {
  onLine: received,
  onState: showState,
});

function showState(linkState: LinkState, detail: string): void {
  statusText.dataset.state = linkState;
  statusText.textContent = linkState === 'open' && state.nick !== '' ? `connected as ${state.nick}` : detail;
  if (linkState === 'closed' && state.everOpen) {
    clearTimeout(state.resumeTimer);
    reclaim.stop();
    tracker.disconnected();
  }
  if (linkState === 'closed' && !state.outage && state.everOpen) {
    state.outage = true;
    log.separator('disconnected from the server; reconnecting (what you type is kept)');
  }
  if (linkState === 'open') {
    state.pendingWho = 0;
    state.pendingRooms = 0;
    if (state.outage) log.separator('reconnected');
    state.everOpen = true;
    state.outage = false;
  }
}

function sendCommand(line: string): void {
  link.send(line);
}

function scheduleRefresh(): void {
  if (state.refreshTimer !== undefined) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = undefined;
    if (!link.open) return;
    if (state.room !== undefined) {
      state.pendingWho++;
      sendCommand('/who');
    }
    state.pendingRooms++;
    sendCommand('/rooms');
  }, REFRESH_DELAY_MS);
}

function setNick(nick: string): void {
  state.nick = nick;
  if (document.activeElement !== nickInput) nickInput.value = nick;
  statusText.textContent = `connected as ${nick}`;
}

function setRoom(room: string | undefined): void {
  state.room = room;
  roomTitle.textContent = room === undefined ? 'no room (join one to talk)' : `#${room}`;
  membersTitle.textContent = room === undefined ? 'Members' : `Members of #${room}`;
  if (room === undefined) membersList.replaceChildren();
  for (const button of roomsList.querySelectorAll('button')) {
    button.setAttribute('aria-current', String(button.dataset.room === room));
  }
}

function showMembers(nicks: readonly string[], more: number): void {
  const items = nicks.map((nick) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = nick === state.nick ? `${nick} (you)` : nick;
    button.title = `send ${nick} a private message`;
    button.addEventListener('click', () => {
      messageInput.value = `/msg ${nick} `;
      messageInput.focus();
    });
    li.append(button);
    return li;
  });
  if (more > 0) {
    const li = document.createElement('li');
    li.textContent = `and ${more} more`;
    items.push(li);
  }
  membersList.replaceChildren(...items);
}

function showRooms(rooms: readonly RoomEntry[]): void {
  roomsList.replaceChildren(
    ...rooms.map((r) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.room = r.name;
      button.setAttribute('aria-current', String(r.name === state.room));
      button.append(document.createTextNode(`#${r.name} `), countBadge(r.members));
      button.addEventListener('click', () => {
        if (r.name !== state.room) joinRoom(r.name);
        messageInput.focus();
      });
      li.append(button);
      return li;
    }),
  );
}

function countBadge(n: number): HTMLSpanElement {
  const s = document.createElement('span');
  s.className = 'count';
  s.textContent = `(${n})`;
  return s;
}

function joinRoom(room: string): void {
  state.wantedRoom = room;
  sendCommand(`/join ${room}`);
}

/** One line from the hub: through the resume tracker, which strips the numbers and drops repeats. */
function received(raw: string): void {
  if (raw.startsWith(NOTICE_PREFIX) && reclaim.onNotice(raw.slice(NOTICE_PREFIX.length))) return;
  const step = tracker.receive(raw);
  for (const command of step.send) {
    link.send(command);
    armResumeTimer();
  }
  if (!tracker.isRecovering) clearTimeout(state.resumeTimer);
  for (const shown of step.show) show(shown);
}

function armResumeTimer(): void {
  clearTimeout(state.resumeTimer);
  state.resumeTimer = setTimeout(() => {
    if (!tracker.isRecovering) return;
    log.separator('the server did not answer the resume; showing lines as they come (some may be missing)');
    for (const shown of tracker.abandon().show) show(shown);
  }, RESUME_TIMEOUT_MS);
}

/** One line to show (and to read: notices about us, the side panels' replies). */
function show(raw: string): void {
  const line = parseLine(raw);
  if (line.kind === 'notice' && !line.history) {
    const self = parseSelfNotice(line.text);
    if (self !== undefined) {
      onSelfNotice(self);
    } else {
      const who = parseWho(line.text);
      if (who !== undefined) {
        // A reply for a room we have just left still answers one of our requests.
        if (who.room === state.room) showMembers(who.nicks, who.more);
        if (state.pendingWho > 0) {
          state.pendingWho--;
          return;
        }
      } else {
        const rooms = parseRooms(line.text);
        if (rooms !== undefined) {
          showRooms(rooms);
          if (state.pendingRooms > 0) {
            state.pendingRooms--;
            return;
          }
        } else if (!/^(history:|end of history)/.test(line.text)) {
          // Someone joined, left or was renamed (or the hub told us something): refresh the panels.
          scheduleRefresh();
        }
      }
    }
  }
  log.show(line);
}

function onSelfNotice(self: NonNullable<ReturnType<typeof parseSelfNotice>>): void {
  switch (self.kind) {
    case 'welcome': {
      const reconnected = state.everGreeted;
      state.everGreeted = true;
      setNick(self.nick);
      setRoom(self.room);
      // After a reconnect, ask for the same nick and room again (DESIGN §6); the lost connection
      // may hold the nick a while longer: then it is asked for again in the background.
      if (state.wantedNick !== undefined && state.wantedNick.toLowerCase() !== self.nick.toLowerCase()) {
        if (reconnected) reclaim.start(state.wantedNick);
        else sendCommand(`/nick ${state.wantedNick}`);
      }
      const resume = tracker.resumeCommand();
      if (resume !== undefined) {
        // It rejoins the room too; the lines missed come next, then `recovered`.
        sendCommand(resume);
        armResumeTimer();
      } else {
        if (state.wantedRoom !== undefined && state.wantedRoom !== self.room) {
          sendCommand(`/join ${state.wantedRoom}`);
        }
        sendCommand(tracker.seqOn());
      }
      break;
    }
    case 'renamed':
      setNick(self.nick);
      state.wantedNick = self.nick;
      storeNick(self.nick);
      break;
    case 'joined':
      setRoom(self.room);
      state.wantedRoom = self.room;
      break;
    case 'left':
      setRoom(undefined);
      state.wantedRoom = undefined;
      break;
  }
  scheduleRefresh();
}

/** What the reader typed: a command goes as it is; a plain line is also shown here (the hub does not echo it). */
function submitted(text: string): boolean {
  if (!link.open) {
    log.separator('not connected: your line is kept and can be sent once the page reconnects');
    return false;
  }
  link.send(text);
  tracker.sent(text);
  if (!text.startsWith('/')) {
    log.show(parseLine(roomLine(state.nick, text)), true);
    return true;
  }
  const space = text.indexOf(' ');
  const command = (space === -1 ? text : text.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : text.slice(space + 1).trim();
  if (command === '/me' && rest !== '') log.show(parseLine(actionLine(state.nick, rest)), true);
  if (command === '/nick' && rest !== '') {
    state.wantedNick = rest;
    reclaim.stop();
  }
  if (command === '/join' && rest !== '') state.wantedRoom = rest.replace(/^#/, '');
  if (command === '/quit') link.stop();
  return true;
}

sendForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = messageInput.value;
  if (text.trim() === '') return;
  if (submitted(text)) messageInput.value = '';
  messageInput.focus();
});

nickForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const nick = nickInput.value.trim();
  if (nick === '' || nick === state.nick) return;
  if (link.send(`/nick ${nick}`)) {
    state.wantedNick = nick;
    reclaim.stop();
  }
  messageInput.focus();
});

joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = joinInput.value.trim().replace(/^#/, '');
  if (room === '' || !link.open) return;
  joinRoom(room);
  joinInput.value = '';
  messageInput.focus();
});

link.start();
messageInput.focus();
