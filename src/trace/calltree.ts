import { NONE, rowAtLine, widen } from './columns.js'
import type { CallRecord } from './records.js'

/** A task's (or, before any banner, a CPU's) open calls, as rows of the CallTable. */
export interface GraphContext {
  /** Its index in the table's `contexts`, which calls point at. */
  id: number
  key: string
  task: string | undefined
  pid: number | undefined
  open: number[]
  /** Roots an exit without entry may still adopt (depth > 0, since the last depth-0 root). */
  adoptable: number[]
}

/**
 * Builds call trees from function_graph lines. Lines of different CPUs interleave, so
 * open calls are kept per context: the task named by funcgraph-proc, else the task the
 * CPU last switched to (context-switch banners), else the CPU. A switch therefore parks
 * a task's open calls until it runs again, on whichever CPU. Calls are rows of a
 * CallTable; only the roots are made objects while building.
 */
export class CallTreeBuilder {
  readonly roots: CallRecord[] = []
  entriesMissing = 0
  exitsMissing = 0
  readonly table: CallTable
  private readonly contexts = new Map<string, GraphContext>()
  private readonly byCpu: GraphContext[] = []
  private anonymous: GraphContext | undefined

  /** `strings` holds the call names the table points at. */
  constructor(strings: readonly string[]) {
    this.table = new CallTable(strings)
  }

  context(cpu: number | undefined, proc: string | undefined): GraphContext {
    if (proc !== undefined) return this.named(proc, cpu)
    if (cpu === undefined) return (this.anonymous ??= this.named('cpu'))
    return this.byCpu[cpu] ?? (this.byCpu[cpu] = this.named(`cpu${cpu}`))
  }

  private named(proc: string, cpu?: number): GraphContext {
    // Every CPU's idle task prints as `<idle>-0`: each is a task of its own, with calls of its own.
    const key = cpu !== undefined && proc.endsWith('-0') ? `${proc}@${cpu}` : proc
    let ctx = this.contexts.get(key)
    if (ctx === undefined) {
      const [task, pid] = splitTask(proc)
      ctx = { id: this.table.contexts.length, key, task, pid, open: [], adoptable: [] }
      this.table.contexts.push(ctx)
      this.contexts.set(key, ctx)
    }
    return ctx
  }

  switchTask(cpu: number | undefined, from: string, to: string): void {
    if (cpu === undefined) return
    const current = this.byCpu[cpu]
    if (current !== undefined && current.key === `cpu${cpu}`) {
      // Calls seen before the first banner belong to the task being switched away from.
      const prev = this.named(from, cpu)
      prev.open.push(...current.open)
      prev.adoptable.push(...current.adoptable)
      for (const n of current.open) this.table.ctx[n] = prev.id
      this.contexts.delete(current.key)
    }
    this.byCpu[cpu] = this.named(to, cpu)
  }

  /** An entry `f() {`, or a leaf `f();`; `name` is an index into the table's strings. Returns its row. */
  call(line: number, cpu: number | undefined, ts: number | undefined, ctx: GraphContext, name: number, depth: number, leaf: boolean, duration: number | undefined): number {
    const stack = ctx.open
    const node = this.table.add(line, cpu, ts, ctx.id, name, depth, duration)
    if (stack.length > 0) this.table.adopt(stack[stack.length - 1], node)
    else this.addRoot(ctx, node)
    if (!leaf) stack.push(node)
    return node
  }

  /**
   * An exit `}`; makes a row (returned) only when its entry was never seen, else NONE.
   * It closes the open call it belongs to: the innermost of the name its tail comment
   * gives (`} /* f *\/`), else the one at its indentation. Calls opened after that one
   * lost their exits; an exit that matches no open call had its entry outside the trace.
   */
  exit(line: number, cpu: number | undefined, ts: number | undefined, ctx: GraphContext, name: number, depth: number, duration: number | undefined): number {
    const t = this.table
    const open = ctx.open
    const k = this.matching(open, name, depth)
    if (k >= 0) {
      for (let j = open.length - 1; j > k; j--) t.flags[open[j]] |= EXIT_MISSING
      this.exitsMissing += open.length - 1 - k
      t.duration[open[k]] = duration ?? NaN
      open.length = k
      return NONE
    }
    this.entriesMissing++
    const orphan = t.add(line, cpu, ts, ctx.id, name, depth, duration)
    t.flags[orphan] |= ENTRY_MISSING
    const pending = ctx.adoptable
    let p = pending.length
    while (p > 0 && t.depth[pending[p - 1]] > depth) p--
    const adopted = pending.splice(p)
    for (const child of adopted) {
      this.roots.splice(this.roots.lastIndexOf(t.view(child)), 1)
      t.adopt(orphan, child)
    }
    // Printed inside calls still open: a child of the innermost one above its indentation.
    let parent = open.length - 1
    while (parent >= 0 && t.depth[open[parent]] >= depth) parent--
    if (parent >= 0) t.adopt(open[parent], orphan)
    else this.addRoot(ctx, orphan)
    return orphan
  }

  /** Which open call (an index into `open`) an exit closes, or -1 for none. */
  private matching(open: number[], name: number, depth: number): number {
    const t = this.table
    const top = open.length - 1
    if (top < 0) return -1
    if (t.strings[name] !== '') {
      for (let j = top; j >= 0; j--) if (t.name[open[j]] === name) return j
      return -1
    }
    const d = t.depth[open[top]]
    if (d === depth) return top
    // Deeper than every open call: its entry is not in the trace.
    if (d < depth) return -1
    for (let j = top - 1; j >= 0 && t.depth[open[j]] >= depth; j--) if (t.depth[open[j]] === depth) return j
    // No open call at its indentation (depths not as printed): the innermost, as before.
    return top
  }

  private addRoot(ctx: GraphContext, node: number): void {
    const t = this.table
    this.roots.push(t.view(node))
    if (t.depth[node] === 0 && (t.flags[node] & ENTRY_MISSING) === 0) ctx.adoptable.length = 0
    else ctx.adoptable.push(node)
  }

  /** Calls still open when the trace ends lost their exits. */
  finish(): void {
    for (const ctx of this.contexts.values()) {
      for (const node of ctx.open) this.table.flags[node] |= EXIT_MISSING
      this.exitsMissing += ctx.open.length
      ctx.open = []
      ctx.adoptable = []
    }
  }
}

const ENTRY_MISSING = 1
const EXIT_MISSING = 2

/**
 * What every call holds, in columns: a million calls are a few typed arrays, not a
 * million objects for the garbage collector to copy. Names are indices into `strings`,
 * contexts into `contexts`; children are linked (newest child, next older sibling).
 * Objects (Call views) are made for a row when asked for, once.
 */
export class CallTable {
  size = 0
  line = new Int32Array(1024)
  cpu = new Int32Array(1024)
  depth = new Int32Array(1024)
  flags = new Uint8Array(1024)
  parent = new Int32Array(1024)
  newest = new Int32Array(1024)
  older = new Int32Array(1024)
  duration = new Float64Array(1024)
  ts = new Float64Array(1024)
  name = new Int32Array(1024)
  ctx = new Int32Array(1024)
  readonly contexts: GraphContext[] = []
  /** Children arrays, built when first asked for. */
  readonly children: (CallRecord[] | undefined)[] = []
  readonly #views: (Call | undefined)[] = []
  /** Rows to grow to at once past the first 1024 (set from the size of the file read). */
  expected = 0

  constructor(readonly strings: readonly string[]) {}

  add(line: number, cpu: number | undefined, ts: number | undefined, ctx: number, name: number, depth: number, duration: number | undefined): number {
    const i = this.size++
    if (i === this.line.length) this.grow()
    this.line[i] = line
    this.cpu[i] = cpu ?? NONE
    this.depth[i] = depth
    this.flags[i] = 0
    this.parent[i] = NONE
    this.newest[i] = NONE
    this.older[i] = NONE
    this.duration[i] = duration ?? NaN
    this.ts[i] = ts ?? NaN
    this.name[i] = name
    this.ctx[i] = ctx
    return i
  }

  /** Appends a child, which takes `parent` as its parent. */
  adopt(parent: number, child: number): void {
    this.parent[child] = parent
    this.older[child] = this.newest[parent]
    this.newest[parent] = child
    this.children[parent]?.push(this.view(child))
  }

  /** The record of a row: the same object each time it is asked for. */
  view(row: number): Call {
    return (this.#views[row] ??= new Call(this, row))
  }

  /** The first row at or after `from` whose line is at least `line` (rows are in line order). */
  rowAtLine(line: number, from = 0, to = this.size): number {
    return rowAtLine(this.line, line, from, to)
  }

  private grow(): void {
    const n = Math.max(this.line.length * 2, this.expected)
    this.line = widen(this.line, n)
    this.cpu = widen(this.cpu, n)
    this.depth = widen(this.depth, n)
    this.flags = widen(this.flags, n)
    this.parent = widen(this.parent, n)
    this.newest = widen(this.newest, n)
    this.older = widen(this.older, n)
    this.duration = widen(this.duration, n)
    this.ts = widen(this.ts, n)
    this.name = widen(this.name, n)
    this.ctx = widen(this.ctx, n)
  }
}

/**
 * A function_graph call: a view of its row in the CallTable. Task and pid are read from
 * the context the call ran in; children from the links, their array built on first use.
 */
class Call implements CallRecord {
  declare kind: 'call'
  readonly #t: CallTable
  readonly #i: number
  constructor(t: CallTable, i: number) {
    this.#t = t
    this.#i = i
  }

  get line(): number {
    return this.#t.line[this.#i]
  }
  get cpu(): number | undefined {
    const cpu = this.#t.cpu[this.#i]
    return cpu === NONE ? undefined : cpu
  }
  get ts(): number | undefined {
    const ts = this.#t.ts[this.#i]
    return ts === ts ? ts : undefined
  }
  get name(): string {
    return this.#t.strings[this.#t.name[this.#i]]
  }
  get depth(): number {
    return this.#t.depth[this.#i]
  }
  get task(): string | undefined {
    return this.#t.contexts[this.#t.ctx[this.#i]].task
  }
  get pid(): number | undefined {
    return this.#t.contexts[this.#t.ctx[this.#i]].pid
  }
  /** Microseconds, from the exit line or the leaf. */
  get duration(): number | undefined {
    const d = this.#t.duration[this.#i]
    return d === d ? d : undefined
  }
  set duration(us: number | undefined) {
    this.#t.duration[this.#i] = us ?? NaN
  }
  get parent(): CallRecord | undefined {
    const p = this.#t.parent[this.#i]
    return p === NONE ? undefined : this.#t.view(p)
  }
  get entryMissing(): boolean {
    return (this.#t.flags[this.#i] & ENTRY_MISSING) !== 0
  }
  set entryMissing(on: boolean) {
    this.#flag(ENTRY_MISSING, on)
  }
  get exitMissing(): boolean {
    return (this.#t.flags[this.#i] & EXIT_MISSING) !== 0
  }
  set exitMissing(on: boolean) {
    this.#flag(EXIT_MISSING, on)
  }
  #flag(bit: number, on: boolean): void {
    this.#t.flags[this.#i] = on ? this.#t.flags[this.#i] | bit : this.#t.flags[this.#i] & ~bit
  }

  get children(): CallRecord[] {
    const t = this.#t
    let kids = t.children[this.#i]
    if (kids === undefined) {
      kids = []
      for (let c = t.newest[this.#i]; c !== NONE; c = t.older[c]) kids.push(t.view(c))
      kids.reverse()
      t.children[this.#i] = kids
    }
    return kids
  }

  toJSON(): object {
    const out: Record<string, unknown> = { kind: this.kind, line: this.line, cpu: this.cpu, task: this.task, pid: this.pid, name: this.name, depth: this.depth, duration: this.duration, parent: this.parent, children: this.children, entryMissing: this.entryMissing, exitMissing: this.exitMissing }
    if (this.ts !== undefined) out.ts = this.ts
    return out
  }

  /** console.log shows what the call says, with its parent and children by line. */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    const { parent, children, ...own } = this.toJSON() as { parent?: CallRecord; children: CallRecord[] }
    return { ...own, parent: parent && `${parent.name}() at line ${parent.line}`, children: children.map((c) => `${c.name}() at line ${c.line}`) }
  }
}
Object.defineProperty(Call.prototype, 'kind', { value: 'call', enumerable: true })

/** `comm-pid` as banners and funcgraph-proc print it; `cpuN` when no task is known. */
export function splitTask(proc: string): [string | undefined, number | undefined] {
  const dash = proc.lastIndexOf('-')
  const pid = Number(proc.slice(dash + 1))
  if (dash > 0 && Number.isInteger(pid)) return [proc.slice(0, dash), pid]
  return /^cpu\d*$/.test(proc) ? [undefined, undefined] : [proc, undefined]
}
