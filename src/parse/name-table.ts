/**
 * Interns names read from a range of a chunk without cutting the range out first:
 * most lines repeat a name seen before, and this finds it by hashing the characters
 * where they stand. Open addressing, power-of-two table, FNV-1a.
 */
export class NameTable {
  private keys: (string | undefined)[] = new Array(1024)
  private hashes = new Int32Array(1024)
  private ids = new Int32Array(1024)
  private size = 0
  /** Names in the order first seen: `list[id(…)]` is the name. */
  readonly list: string[] = []

  get(s: string, from: number, to: number): string {
    return this.list[this.id(s, from, to)]
  }

  /** The name's number, in order of first appearance. */
  id(s: string, from: number, to: number): number {
    let h = 0x811c9dc5
    for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
    // As an int32, the way the hash table stores it (the empty name skips the loop).
    h |= 0
    const mask = this.keys.length - 1
    const len = to - from
    for (let idx = h & mask; ; idx = (idx + 1) & mask) {
      const k = this.keys[idx]
      if (k === undefined) return this.insert(idx, h, s.slice(from, to))
      if (this.hashes[idx] === h && k.length === len && s.startsWith(k, from)) return this.ids[idx]
    }
  }

  /** The same, for a string already cut out. */
  intern(s: string): string {
    return this.get(s, 0, s.length)
  }

  idOf(s: string): number {
    return this.id(s, 0, s.length)
  }

  private insert(idx: number, h: number, name: string): number {
    const id = this.list.length
    this.list.push(name)
    this.keys[idx] = name
    this.hashes[idx] = h
    this.ids[idx] = id
    if (++this.size * 2 > this.keys.length) this.grow()
    return id
  }

  private grow(): void {
    const keys = this.keys
    const hashes = this.hashes
    const ids = this.ids
    this.keys = new Array(keys.length * 2)
    this.hashes = new Int32Array(keys.length * 2)
    this.ids = new Int32Array(keys.length * 2)
    const mask = this.keys.length - 1
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      if (k === undefined) continue
      let idx = hashes[i] & mask
      while (this.keys[idx] !== undefined) idx = (idx + 1) & mask
      this.keys[idx] = k
      this.hashes[idx] = hashes[i]
      this.ids[idx] = ids[i]
    }
  }
}
