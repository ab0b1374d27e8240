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
    const node = makeCall(line, cpu, ts, ctx, name, depth, parent, duration)
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
    const orphan = makeCall(line, cpu, ts, ctx, name, depth, undefined, duration)
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

/** Durations that are not whole nanoseconds (never printed by function_graph, but kept exact). */
const oddDurations = new WeakMap<Call, number>()

/**
 * A function_graph call. A class, so what nearly every call shares (its kind, no
 * timestamp without funcgraph-abstime, both halves seen) lives on the prototype, and so
 * what a million calls would each allocate is not: the duration is kept in whole
 * nanoseconds (a small integer, where microseconds would be a boxed double), task and pid
 * are read from the context the call ran in, and children are linked (newest first),
 * their array built when first asked for.
 */
class Call implements CallRecord {
  declare kind: 'call'
  declare ts: number | undefined
  declare entryMissing: boolean
  declare exitMissing: boolean
  #ctx: GraphContext
  /** Nanoseconds; NaN when the duration is not whole nanoseconds (see oddDurations). */
  #ns: number | undefined
  /** The newest child, until the children are asked for; then their array. */
  #kids: Call | CallRecord[] | undefined
  #older: Call | undefined
  constructor(
    public line: number,
    public cpu: number | undefined,
    ctx: GraphContext,
    public name: string,
    public depth: number,
    duration: number | undefined,
    public parent: CallRecord | undefined,
  ) {
    this.#ctx = ctx
    if (duration !== undefined) this.duration = duration
  }

  get task(): string | undefined {
    return this.#ctx.task
  }

  get pid(): number | undefined {
    return this.#ctx.pid
  }

  /** The task a call ran in turned out to be another (calls seen before the first banner). */
  moveTo(ctx: GraphContext): void {
    this.#ctx = ctx
  }

  /** Microseconds, from the exit line or the leaf. */
  get duration(): number | undefined {
    const ns = this.#ns
    return ns === undefined ? undefined : ns === ns ? ns / 1000 : oddDurations.get(this)
  }

  set duration(us: number | undefined) {
    // function_graph prints microseconds with three decimals: whole nanoseconds, and
    // ns / 1000 is the very double the text parsed to (both round the same fraction).
    const ns = us === undefined ? undefined : Math.round(us * 1000)
    if (ns === undefined || (ns / 1000 === us && Math.abs(ns) <= 0x3fffffff)) this.#ns = ns
    else {
      this.#ns = NaN
      oddDurations.set(this, us!)
    }
  }

  get children(): CallRecord[] {
    const kids = this.#kids
    if (Array.isArray(kids)) return kids
    const out: CallRecord[] = []
    for (let c = kids; c !== undefined; c = c.#older) out.push(c)
    out.reverse()
    this.#kids = out
    return out
  }

  /** Appends a child, which takes this call as its parent. */
  adopt(child: Call): void {
    child.parent = this
    const kids = this.#kids
    if (Array.isArray(kids)) kids.push(child)
    else {
      child.#older = kids
      this.#kids = child
    }
  }

  toJSON(): object {
    return { ...this, kind: this.kind, ts: this.ts, task: this.task, pid: this.pid, duration: this.duration, children: this.children, entryMissing: this.entryMissing, exitMissing: this.exitMissing }
  }
}
Object.assign(Call.prototype, { kind: 'call', ts: undefined, entryMissing: false, exitMissing: false })

function makeCall(line: number, cpu: number | undefined, ts: number | undefined, ctx: GraphContext, name: string, depth: number, parent: CallRecord | undefined, duration: number | undefined): Call {
  const call = new Call(line, cpu, ctx, name, depth, duration, parent)
  if (ts !== undefined) call.ts = ts
  return call
}

/** `comm-pid` as banners and funcgraph-proc print it; `cpuN` when no task is known. */
export function splitTask(proc: string): [string | undefined, number | undefined] {
  const dash = proc.lastIndexOf('-')
  const pid = Number(proc.slice(dash + 1))
  if (dash > 0 && Number.isInteger(pid)) return [proc.slice(0, dash), pid]
  return /^cpu\d*$/.test(proc) ? [undefined, undefined] : [proc, undefined]
}
