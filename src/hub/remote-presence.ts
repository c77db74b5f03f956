import type { RemoteMember } from '../backplane/backplane.js';
import { nickKey } from './nick.js';

/** A member of another node, as this node knows it. */
export interface RemoteEntry extends RemoteMember {
  readonly node: string;
}

interface RemoteNode {
  /** When this node last heard from it (ms, monotonic). */
  seen: number;
  readonly members: Map<number, RemoteEntry>;
}

/**
 * The members of the hub's other nodes (DESIGN §8): who is in which room, by nick, for `/who`,
 * `/rooms`, `/msg` and room sizes. Fed by the nodes' presence messages; a node silent for the
 * presence timeout is dropped with its members (it died, or lost the backplane).
 */
export class RemotePresence {
  private readonly nodes = new Map<string, RemoteNode>();
  private readonly byNick = new Map<string, RemoteEntry>();
  private readonly byRoom = new Map<string, Set<RemoteEntry>>();

  knows(node: string): boolean {
    return this.nodes.has(node);
  }

  /** Heard from `node` now. */
  seen(node: string, now: number): void {
    this.nodeOf(node, now).seen = now;
  }

  /** A member arrived or changed; returns what it was, if known. */
  set(entry: RemoteEntry, now: number): RemoteEntry | undefined {
    const node = this.nodeOf(entry.node, now);
    node.seen = now;
    const was = node.members.get(entry.member);
    if (was !== undefined) this.unindex(was);
    node.members.set(entry.member, entry);
    this.index(entry);
    return was;
  }

  remove(nodeId: string, member: number): RemoteEntry | undefined {
    const node = this.nodes.get(nodeId);
    const was = node?.members.get(member);
    if (node === undefined || was === undefined) return undefined;
    node.members.delete(member);
    this.unindex(was);
    return was;
  }

  /** Replace all that is known of `node` (its snapshot), quietly. */
  replace(nodeId: string, members: readonly RemoteMember[], now: number): void {
    this.drop(nodeId);
    const node = this.nodeOf(nodeId, now);
    for (const m of members) {
      const entry: RemoteEntry = { node: nodeId, member: m.member, nick: m.nick, room: m.room };
      node.members.set(m.member, entry);
      this.index(entry);
    }
  }

  /** Forget a node; returns its members (to announce them gone). */
  drop(nodeId: string): RemoteEntry[] {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return [];
    this.nodes.delete(nodeId);
    const gone = [...node.members.values()];
    for (const entry of gone) this.unindex(entry);
    return gone;
  }

  /** Nodes not heard from since `cutoff`. */
  silentSince(cutoff: number): string[] {
    const out: string[] = [];
    for (const [id, node] of this.nodes) if (node.seen < cutoff) out.push(id);
    return out;
  }

  byNickKey(key: string): RemoteEntry | undefined {
    return this.byNick.get(key);
  }

  inRoom(room: string): ReadonlySet<RemoteEntry> {
    return this.byRoom.get(room) ?? EMPTY;
  }

  /** Rooms with remote members, with how many. */
  rooms(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, set] of this.byRoom) out.set(name, set.size);
    return out;
  }

  private nodeOf(id: string, now: number): RemoteNode {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = { seen: now, members: new Map() };
      this.nodes.set(id, node);
    }
    return node;
  }

  private index(entry: RemoteEntry): void {
    this.byNick.set(nickKey(entry.nick), entry);
    if (entry.room === undefined) return;
    let set = this.byRoom.get(entry.room);
    if (set === undefined) {
      set = new Set();
      this.byRoom.set(entry.room, set);
    }
    set.add(entry);
  }

  private unindex(entry: RemoteEntry): void {
    const key = nickKey(entry.nick);
    if (this.byNick.get(key) === entry) this.byNick.delete(key);
    if (entry.room === undefined) return;
    const set = this.byRoom.get(entry.room);
    if (set === undefined) return;
    set.delete(entry);
    if (set.size === 0) this.byRoom.delete(entry.room);
  }
}

const EMPTY: ReadonlySet<RemoteEntry> = new Set();
