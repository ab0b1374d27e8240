import type { CallRecord } from './records.js'

/** A task's (or, before any banner, a CPU's) open calls. */
export interface GraphContext {
  key: string
  task: string | undefined
  pid: number | undefined
  open: CallRecord[]
  /** Roots an exit without entry may still adopt (depth > 0, since the last depth-0 root). */
  adoptable: CallRecord[]
}

/**
 * Builds call trees from function_graph lines. Lines of different CPUs interleave, so
 * open calls are kept per context: the task named by funcgraph-proc, else the task the
 * CPU last switched to (context-switch banners), else the CPU. A switch therefore parks
 * a task's open calls until it runs again, on whichever CPU.
 */
export class CallTreeBuilder {
  readonly roots: CallRecord[] = []
  entriesMissing = 0
  exitsMissing = 0
  private readonly table = new CallTable()
  private readonly contexts = new Map<string, GraphContext>()
  private readonly byCpu: GraphContext[] = []
  private anonymous: GraphContext | undefined

  context(cpu: number | undefined, proc: string | undefined): GraphContext {
    if (proc !== undefined) return this.named(proc)
    if (cpu === undefined) return (this.anonymous ??= this.named('cpu'))
    return this.byCpu[cpu] ?? (this.byCpu[cpu] = this.named(`cpu${cpu}`))
  }

  private named(key: string): GraphContext {
    let ctx = this.contexts.get(key)
    if (ctx === undefined) {
      const [task, pid] = splitTask(key)
      this.contexts.set(key, (ctx = { key, task, pid, open: [], adoptable: [] }))
    }
    return ctx
  }

  switchTask(cpu: number | undefined, from: string, to: string): void {
    if (cpu === undefined) return
    const current = this.byCpu[cpu]
    if (current !== undefined && current.key === `cpu${cpu}`) {
      // Calls seen before the first banner belong to the task being switched away from.
      const prev = this.named(from)
      prev.open.push(...current.open)
      prev.adoptable.push(...current.adoptable)
      for (const n of current.open) relabel(n, prev)
      this.contexts.delete(current.key)
    }
    this.byCpu[cpu] = this.named(to)
  }

  /** An entry `f() {`, or a leaf `f();`. */
  call(line: number, cpu: number | undefined, ts: number | undefined, ctx: GraphContext, name: string, depth: number, leaf: boolean, duration: number | undefined): CallRecord {
    const stack = ctx.open
    const parent = stack.length > 0 ? stack[stack.length - 1] : undefined
    const node = this.table.add(line, cpu, ts, ctx, name, depth, duration)
    if (parent) (parent as Call).adopt(node)
    else this.addRoot(ctx, node)
    if (!leaf) stack.push(node)
    return node
  }

  /** An exit `}`; returns a record only when its entry was never seen. */
  exit(line: number, cpu: number | undefined, ts: number | undefined, ctx: GraphContext, name: string, depth: number, duration: number | undefined): CallRecord | undefined {
    const node = ctx.open.pop()
    if (node) {
      node.duration = duration
      return undefined
    }
    this.entriesMissing++
    const orphan = this.table.add(line, cpu, ts, ctx, name, depth, duration)
    orphan.entryMissing = true
    const pending = ctx.adoptable
    let k = pending.length
    while (k > 0 && pending[k - 1].depth > depth) k--
    const adopted = pending.splice(k)
    for (const child of adopted) {
      this.roots.splice(this.roots.lastIndexOf(child), 1)
      orphan.adopt(child as Call)
    }
    this.addRoot(ctx, orphan)
    return orphan
  }

  private addRoot(ctx: GraphContext, node: CallRecord): void {
    this.roots.push(node)
    if (node.depth === 0 && !node.entryMissing) ctx.adoptable.length = 0
    else ctx.adoptable.push(node)
  }

  /** Calls still open when the trace ends lost their exits. */
  finish(): void {
    for (const ctx of this.contexts.values()) {
      for (const node of ctx.open) node.exitMissing = true
      this.exitsMissing += ctx.open.length
      ctx.open = []
      ctx.adoptable = []
    }
  }
}

function relabel(node: CallRecord, ctx: GraphContext): void {
  const call = node as Call
  call.moveTo(ctx)
}

const NONE = -1
const ENTRY_MISSING = 1
const EXIT_MISSING = 2

/**
 * What every call holds, in columns: a million calls are a million small objects for the
 * garbage collector to copy, not a million large ones. Numbers live in typed arrays
 * (outside the JS heap), strings and references in plain arrays of pointers.
 */
class CallTable {
  size = 0
  line = new Int32Array(1024)
  cpu = new Int32Array(1024)
  depth = new Int32Array(1024)
  flags = new Uint8Array(1024)
  parent = new Int32Array(1024)
  /** The newest child, and each call's next older sibling: children are linked. */
  newest = new Int32Array(1024)
  older = new Int32Array(1024)
  duration = new Float64Array(1024)
  ts = new Float64Array(1024)
  readonly name: string[] = []
  readonly ctx: GraphContext[] = []
  readonly calls: Call[] = []
  /** Children arrays, built when first asked for. */
  readonly children: (CallRecord[] | undefined)[] = []

  add(line: number, cpu: number | undefined, ts: number | undefined, ctx: GraphContext, name: string, depth: number, duration: number | undefined): Call {
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
    this.name.push(name)
    this.ctx.push(ctx)
    const call = new Call(this, i)
    this.calls.push(call)
    return call
  }

  private grow(): void {
    const n = this.line.length * 2
    const widen = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n)
      b.set(a)
      return b
    }
    this.line = widen(this.line, Int32Array)
    this.cpu = widen(this.cpu, Int32Array)
    this.depth = widen(this.depth, Int32Array)
    this.flags = widen(this.flags, Uint8Array)
    this.parent = widen(this.parent, Int32Array)
    this.newest = widen(this.newest, Int32Array)
    this.older = widen(this.older, Int32Array)
    this.duration = widen(this.duration, Float64Array)
    this.ts = widen(this.ts, Float64Array)
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
    return this.#t.name[this.#i]
  }
  get depth(): number {
    return this.#t.depth[this.#i]
  }
  get task(): string | undefined {
    return this.#t.ctx[this.#i].task
  }
  get pid(): number | undefined {
    return this.#t.ctx[this.#i].pid
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
    return p === NONE ? undefined : this.#t.calls[p]
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
      for (let c = t.newest[this.#i]; c !== NONE; c = t.older[c]) kids.push(t.calls[c])
      kids.reverse()
      t.children[this.#i] = kids
    }
    return kids
  }

  /** The task a call ran in turned out to be another (calls seen before the first banner). */
  moveTo(ctx: GraphContext): void {
    this.#t.ctx[this.#i] = ctx
  }

  /** Appends a child, which takes this call as its parent. */
  adopt(child: Call): void {
    const t = this.#t
    const c = child.#i
    t.parent[c] = this.#i
    t.older[c] = t.newest[this.#i]
    t.newest[this.#i] = c
    t.children[this.#i]?.push(child)
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
