/**
 * What one process remembers of Postgres for a bounded time, so that a hot path (every call's API key,
 * every POST's tenant settings) need not ask again: each entry for `ttlMs`, at most `size` of them (the
 * least recently used forgotten first). A change made through this process forgets its entry at once
 * (`forget`); one made by another process is seen here within `ttlMs`. A read under way while an entry
 * is forgotten is not remembered, so a read that started before a change cannot bring back what it read.
 */
export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();
  /** How often an entry was forgotten: a read that saw it change meanwhile is not remembered. */
  private forgotten = 0;
  private readonly now: () => number;

  constructor(private readonly options: { ttlMs: number; size: number; now?: (() => number) | undefined }) {
    this.now = options.now ?? Date.now;
  }

  /** The value remembered for `key`, or what `read` finds (undefined, e.g. unknown, is never remembered). */
  async get(key: K, read: () => Promise<V | undefined>): Promise<V | undefined> {
    const remembered = this.remembered(key);
    if (remembered !== undefined) return remembered;
    const forgotten = this.forgotten;
    const value = await read();
    if (value !== undefined && this.options.ttlMs > 0 && forgotten === this.forgotten) this.remember(key, value);
    return value;
  }

  /** Called after a change to what `key` stands for has committed. */
  forget(key: K): void {
    this.forgotten++;
    this.entries.delete(key);
  }

  private remembered(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.until <= this.now()) return undefined;
    this.entries.set(key, entry); // the most recently used goes last
    return entry.value;
  }

  private remember(key: K, value: V): void {
    this.entries.set(key, { value, until: this.now() + this.options.ttlMs });
    if (this.entries.size > this.options.size) this.entries.delete(this.entries.keys().next().value as K);
  }
}
