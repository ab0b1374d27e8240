import { CallTable, ENTRY_MISSING, EXIT_MISSING, splitTask, type GraphContext } from '../trace/calltree.js'
import { NONE } from '../trace/columns.js'
import type { CallRecord } from '../trace/records.js'

/**
 * Builds call trees from function_graph lines. Lines of different CPUs interleave, so
 * open calls are kept per context: the task named by funcgraph-proc, else the task the
 * CPU last switched to (context-switch banners), else the CPU. A switch therefore parks
 * a task's open calls until it runs again, on whichever CPU. Calls are rows of a
 * CallTable; only the roots are made objects while building.
 */
export class CallTreeBuilder {
  entriesMissing = 0
  exitsMissing = 0
  readonly table: CallTable
  private readonly contexts = new Map<string, GraphContext>()
  private readonly byCpu: GraphContext[] = []
  private anonymous: GraphContext | undefined

  /** `strings` holds the call names the table points at. */
  /** `strings` holds the call names the table points at; `unknown` is UNKNOWN_FUNCTION's index there. */
  constructor(
    strings: readonly string[],
    private readonly unknown: number,
  ) {
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
      t.setDuration(open[k], duration)
      // The innermost, nearly always: pop() is cheaper than setting the length.
      if (k === open.length - 1) open.pop()
      else open.length = k
      return NONE
    }
    this.entriesMissing++
    // A bare `}` names nothing: the call is real (its duration, the calls it adopts), its name unknown.
    const orphan = t.add(line, cpu, ts, ctx.id, t.strings[name] === '' ? this.unknown : name, depth, duration)
    t.flags[orphan] |= ENTRY_MISSING
    const pending = ctx.adoptable
    let p = pending.length
    while (p > 0 && t.depth[pending[p - 1]] > depth) p--
    // Adopted roots stop being roots: finish() leaves out every row that has a parent by then.
    for (const child of pending.splice(p)) t.adopt(orphan, child)
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
    if (t.depth[node] !== 0 || (t.flags[node] & ENTRY_MISSING) !== 0) ctx.adoptable.push(node)
    else if (ctx.adoptable.length !== 0) ctx.adoptable.length = 0
  }

  /**
   * Calls still open when the trace ends lost their exits. Returns what makes the roots,
   * outermost calls first, in file order: their records are made when first asked for
   * (a trace of many short trees has a million).
   */
  finish(): () => CallRecord[] {
    for (const ctx of this.contexts.values()) {
      for (const node of ctx.open) this.table.flags[node] |= EXIT_MISSING
      this.exitsMissing += ctx.open.length
      ctx.open = []
      ctx.adoptable = []
    }
    // The roots are the rows without a parent, in row order: a row gets its parent when
    // made or when an orphan exit adopts it, and never loses it (a list of the rows that
    // were roots when made, filtered here, cost more to keep than this pass).
    const t = this.table
    return () => {
      const out: CallRecord[] = []
      const parent = t.parent
      for (let row = 0; row < t.size; row++) if (parent[row] === NONE) out.push(t.view(row))
      return out
    }
  }
}
