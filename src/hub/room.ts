import { History } from './history.js';
import type { Member } from './member.js';

export class Room {
  readonly members = new Set<Member>();
  readonly history: History;

  constructor(
    readonly name: string,
    historySize: number,
  ) {
    this.history = new History(historySize);
  }
}
