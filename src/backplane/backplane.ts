/**
 * The layer under the chat hub (DESIGN §1, §8): it gives each room one order, numbers its lines,
 * keeps their history and makes nicks unique — within one process (`memory`), across the workers of
 * one machine (`cluster`) or across machines (`redis`). The hub above it is directory, policy and
 * delivery; what travels through here is data (events), never rendered text: each listener renders
 * it for its own members.
 *
 * Two kinds of traffic, with two different promises:
 * - **room lines** are sequenced: every node receives a room's lines in one order, each with its
 *   sequence number within the room's epoch, and can read them back (history, resume);
 * - **node messages** (presence, private messages) are not: they reach every node in the order each
 *   sender sent them, as Phoenix PubSub promises, and carry nothing that must survive an outage.
 */

/** What a member said to its room, before the backplane numbers it. */
export interface RoomLine {
  readonly kind: 'say' | 'action';
  readonly nick: string;
  readonly text: string;
  /** The node the sender is on, and its member id there: that node skips the sender on delivery. */
  readonly node: string;
  readonly member: number;
}

/** A room line with its place in the room's order. */
export interface SequencedLine extends RoomLine {
  /** The room's history generation: a room whose history was lost starts a new epoch. */
  readonly epoch: string;
  /** 1, 2, 3, … within the epoch, without gaps. */
  readonly seq: number;
}

/** A room's recent lines, as a node starting to carry the room gets them. */
export interface RoomSnapshot {
  readonly epoch: string;
  /** The room's last sequence number in this epoch (0: nothing said yet). */
  readonly top: number;
  /** Up to the backplane's history length of the room's last lines, oldest first, ending at `top`. */
  readonly lines: readonly SequencedLine[];
}

/** One member as the other nodes see it. */
export interface RemoteMember {
  readonly member: number;
  readonly nick: string;
  readonly room: string | undefined;
}

/** Messages between the nodes of one hub (no order across senders, no history). */
export type NodeMessage =
  /** A node (re)joined the hub: every node answers with a snapshot of its members. */
  | { readonly type: 'hello'; readonly node: string }
  /** Everything a node has: the receiver replaces what it knew of that node. */
  | { readonly type: 'snapshot'; readonly node: string; readonly members: readonly RemoteMember[] }
  /** A node is alive; one that stays silent for the presence timeout is taken for dead. */
  | { readonly type: 'heartbeat'; readonly node: string }
  /** A node leaves (shutdown): its members go at once rather than at the timeout. */
  | { readonly type: 'bye'; readonly node: string }
  /**
   * A member arrived (no `was`), changed nick or moved (`was` says what it was): every node renders
   * the notices its own members of those rooms get (joined, left for, is now known as).
   */
  | {
      readonly type: 'member';
      readonly node: string;
      readonly member: number;
      readonly nick: string;
      readonly room: string | undefined;
      readonly was?: { readonly nick: string; readonly room: string | undefined };
    }
  /** A member left the hub; `why` is announced to its room, none means it left quietly. */
  | { readonly type: 'gone'; readonly node: string; readonly member: number; readonly why?: string }
  /** A private message to one member of one node. */
  | {
      readonly type: 'private';
      readonly node: string;
      readonly to: { readonly node: string; readonly member: number };
      readonly from: string;
      readonly text: string;
    };

/** What a backplane tells the hub above it. */
export interface BackplaneEvents {
  /** A room line, in the room's order: every room this node watches, each seq exactly once. */
  line(room: string, line: SequencedLine): void;
  /** A room's history was lost (Redis restarted without persistence): numbering starts again. */
  epoch(room: string, epoch: string, detail: string): void;
  /**
   * Lines this node can no longer deliver (the history was trimmed past them, or a Redis failover
   * lost them): the hub tells the room's members, nothing goes missing silently.
   */
  lost(room: string, detail: string): void;
  node(message: NodeMessage): void;
  /**
   * A nick this node's member held is another's now: its claim lapsed while the backplane was away
   * (Redis restarted without it, or the outage outlasted the nick's time to live) and a member of
   * another node took it. The hub gives its member another name and says why.
   */
  nickLost(key: string, owner: NickOwner): void;
  /** The backplane became reachable (`up`) or not; `detail` says what happened, for the log. */
  state(up: boolean, detail: string): void;
}

/** Who holds a nick: a member of a node. */
export interface NickOwner {
  readonly node: string;
  readonly member: number;
}

/**
 * One hub's view of a backplane (a backplane serves every hub of a process, each under its name).
 * Methods return a value when they can answer at once (memory) and a Promise when they must ask
 * another process: the hub takes either, so the in-process hub stays as fast as it was.
 */
export interface HubBackplane {
  /** This node's id, unique among the nodes of the hub. */
  readonly node: string;
  /** Whether the backplane can sequence lines now (DESIGN §9: `switchboard_backplane_up`). */
  readonly up: boolean;
  /** Whether other nodes may exist: presence and private messages go through `broadcast`. */
  readonly shared: boolean;
  /**
   * How long a silent node's members stay in /who, in ms; its nicks are free again within
   * `nickTtlMs`.
   */
  readonly presenceTimeoutMs: number;
  readonly nickTtlMs: number;
  /** Start receiving; resolves once connected (or immediately, for memory). */
  open(events: BackplaneEvents): Promise<void>;
  /**
   * Sequence a line: it comes back through `events.line`, on every node, in the room's order.
   * Rejects (BackplaneError) if it could not be sequenced: the line was not sent anywhere.
   */
  publish(room: string, line: RoomLine): void | Promise<void>;
  /** Whether so many lines await sequencing that senders should wait for theirs before the next. */
  readonly congested: boolean;
  /** Start carrying a room's lines to this node; resolves with its recent history. */
  watch(room: string): RoomSnapshot | Promise<RoomSnapshot>;
  /** Stop carrying a room: no member of this node is in it any more. */
  unwatch(room: string): void;
  /**
   * A client has seen line `seq` of `epoch` that this node has not (it comes from a node that was
   * ahead, or from before Redis lost a tail): make sure the room's next number is above it, so no
   * number it saw is ever given to another line. A no-op where numbers cannot go back.
   */
  raise(room: string, epoch: string, seq: number): void;
  /** Send a message to every node of the hub (this one included only for memory: never). */
  broadcast(message: NodeMessage): void | Promise<void>;
  /** A number for the next guest nick (`guest-N`), unique across the hub's nodes. */
  nextGuest(): number | Promise<number>;
  /** Claim a nick (its case-folded key): true if it was free or this owner's already. */
  claimNick(key: string, owner: NickOwner): boolean | Promise<boolean>;
  releaseNick(key: string, owner: NickOwner): void;
  /** Stop: leave the other nodes (`bye`), release what this node holds. */
  close(): Promise<void>;
}

/** What a backplane did, for the metrics and /healthz (DESIGN §9). */
export interface BackplaneStats {
  readonly kind: Backplane['kind'];
  readonly description: string;
  readonly up: boolean;
  /** Times a node read a room's stream to fill a gap or catch up after an outage. */
  readonly gapFills: number;
  /** Lines delivered from the stream rather than as they were published. */
  readonly linesFilled: number;
  /** Lines a node could not deliver (trimmed from history, lost by Redis); their rooms were told. */
  readonly lost: number;
  /** Commands that got no answer in time. */
  readonly timeouts: number;
  /** Lines and commands refused at once because the backplane was down. */
  readonly refused: number;
  /** Lines sent for numbering and not answered yet. */
  readonly pending: number;
  /** How long numbering a line takes (publish to answer), a moving average in ms; 0 for memory. */
  readonly lagMs: number;
}

/** A backplane: one connection per process, one HubBackplane per hub name. */
export interface Backplane {
  /** `memory`, `cluster` or `redis`, for the banner, the log and the metrics. */
  readonly kind: 'memory' | 'cluster' | 'redis';
  /** Where it is, for the banner: `redis://127.0.0.1:6379/0`. */
  readonly description: string;
  readonly up: boolean;
  stats(): BackplaneStats;
  /** The backplane of the hub named `name` (created on first use). */
  hub(name: string, options: HubBackplaneOptions): HubBackplane;
  /** Connect; rejects with a clear error if the backplane cannot be reached at start. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface HubBackplaneOptions {
  /** Lines a room keeps for history and resume. */
  readonly historyLength: number;
}
