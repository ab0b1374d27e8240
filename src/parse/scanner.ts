import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FunctionColumns } from '../trace/functions.js'
import * as L from './layout.js'

/**
 * The WebAssembly reader of event, function tracer and function_graph lines (asm/scan.ts, built by
 * `npm run build`). It sits beside src/ and dist/ alike, so both find it at the same
 * relative path.
 */
export const SCANNER_WASM = fileURLToPath(new URL('../../asm/build/scan.wasm', import.meta.url))

/** function_graph ops and name kinds, as the scanner and its readers share them (layout.ts). */
export { GRAPH_FLOATS as FLOATS, GRAPH_INTS as INTS, NAME_ENTER as ENTER, NAME_EXIT as EXIT, NAME_PLAIN as PLAIN, NAME_SITE as SITE, NAME_TASK as TASK, OP_ENTRY, OP_EXIT, OP_LEAF, OP_TEXT } from './layout.js'

interface Exports {
  memory: WebAssembly.Memory
  ROWS: WebAssembly.Global
  MAX_KEYS: WebAssembly.Global
  init(capacity: number): void
  inputAt(): number
  column(k: number): number
  stoppedAt(): number
  poolSize(): number
  scan(from: number, to: number, firstLine: number, poolBase: number, excludePid: number, launcherPid: number, retLayout: number, traceCmd: boolean, functions: boolean, latency: boolean): number
  graphOps(): number
  graphInts(): number
  graphFloats(): number
  scanGraph(from: number, to: number, firstLine: number, max: number): number
  stacks(): number
  stacksSize(): number
  lines(): number
  stackEntries(): number
  scheds(): number
  schedTimes(): number
  schedsRead(): number
}

/** What the scanner asks of its parser: ids for names and key lists it meets first. */
export interface ScannerHost {
  /**
   * The id of a task, flags or function name (TASK), of an event by its printed name
   * (ENTER, EXIT: a syscall's; PLAIN: `name: ` of any other), or of a probe's site (SITE);
   * -1 leaves the line to the parser; -2 - id (PLAIN) is the id of a scheduler event whose
   * lines naming kspec's pids (`pid=`, `prev_pid=`, `next_pid=`) are the parser's.
   */
  intern(kind: number, text: string): number
  /** The layout of an event's keys; -1 leaves the line to the parser. */
  layout(keys: string[]): number
}

let compiled: WebAssembly.Module | null | undefined

/** The compiled module, once per thread; null when it was not built (kspec run from its sources unbuilt). */
function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(readFileSync(SCANNER_WASM))
    } catch {
      compiled = null
    }
  }
  return compiled
}

/** Input bytes a scanner holds at once: a stream chunk (1 MiB) with the line it began. */
const CAPACITY = 2 << 20

/**
 * One parser's scanner: its own memory, name and layout tables. Rows come out in
 * columns (`line`, `cpu`, … as Int32Array/Float64Array views of its memory), ROWS at a
 * time at most, for the EventTable to copy.
 */
export class Scanner {
  readonly rows: number
  readonly line: Int32Array
  readonly cpu: Int32Array
  readonly pid: Int32Array
  readonly task: Int32Array
  readonly flags: Int32Array
  readonly name: Int32Array
  readonly ts: Float64Array
  readonly bodyFrom: Int32Array
  readonly bodyTo: Int32Array
  readonly layout: Int32Array
  readonly at: Int32Array
  readonly tgid: Int32Array
  readonly site: Int32Array
  readonly pool: Float64Array
  /** Per pool place: a number (POOL_VALUE) or a span of the chunk (POOL_SPAN). */
  readonly kinds: Uint8Array
  /** function_graph ops, as graph-reader packs them: INTS int32 and FLOATS float64 each. */
  readonly graphOps: number
  readonly graphInts: Int32Array
  readonly graphFloats: Float64Array
  /** The wakeup tracers' scheduler entries a latency-format function scan read (layout.ts SCHED_*). */
  readonly scheds: Int32Array
  readonly schedTimes: Float64Array
  readonly #x: Exports
  readonly #stacks: Int32Array
  readonly #input: Buffer
  readonly #keys: Int32Array

  static create(host: ScannerHost): Scanner | undefined {
    const m = module()
    return m === null ? undefined : new Scanner(m, host)
  }

  private constructor(m: WebAssembly.Module, host: ScannerHost) {
    const text = (from: number, to: number): string => this.#input.toString('latin1', from, to)
    const imports = {
      env: {
        abort: () => {
          throw new Error('kspec: the scanner stopped on an internal check (asm/scan.ts)')
        },
      },
      kspec: {
        intern: (kind: number, from: number, to: number) => host.intern(kind, text(from, to)),
        layout: (_ptr: number, count: number) => {
          const keys: string[] = []
          for (let k = 0; k < count; k++) keys.push(text(this.#keys[2 * k], this.#keys[2 * k + 1]))
          return host.layout(keys)
        },
      },
    }
    this.#x = new WebAssembly.Instance(m, imports).exports as unknown as Exports
    const x = this.#x
    x.init(CAPACITY)
    this.rows = x.ROWS.value as number
    // init() is the only place memory grows: the views below stay valid.
    const buf = x.memory.buffer
    const ints = (k: number, n = this.rows): Int32Array => new Int32Array(buf, x.column(k), n)
    this.line = ints(L.COL_LINE)
    this.cpu = ints(L.COL_CPU)
    this.pid = ints(L.COL_PID)
    this.task = ints(L.COL_TASK)
    this.flags = ints(L.COL_FLAGS)
    this.name = ints(L.COL_NAME)
    this.ts = new Float64Array(buf, x.column(L.COL_TS), this.rows)
    this.bodyFrom = ints(L.COL_BODY_FROM)
    this.bodyTo = ints(L.COL_BODY_TO)
    this.layout = ints(L.COL_LAYOUT)
    this.at = ints(L.COL_AT)
    this.tgid = ints(L.COL_TGID)
    this.site = ints(L.COL_SITE)
    const keys = x.MAX_KEYS.value as number
    this.pool = new Float64Array(buf, x.column(L.COL_POOL), this.rows * keys)
    this.kinds = new Uint8Array(buf, x.column(L.COL_KINDS), this.rows * keys)
    this.#keys = ints(L.COL_KEYS, 2 * keys)
    this.graphOps = x.graphOps()
    this.graphInts = new Int32Array(buf, x.graphInts(), this.graphOps * L.GRAPH_INTS)
    this.graphFloats = new Float64Array(buf, x.graphFloats(), this.graphOps * L.GRAPH_FLOATS)
    this.#input = Buffer.from(buf, x.inputAt(), CAPACITY)
    this.#stacks = new Int32Array(buf, x.stacks(), 1 << 16)
    this.scheds = new Int32Array(buf, x.scheds(), L.SCHED_MAX * L.SCHED_INTS)
    this.schedTimes = new Float64Array(buf, x.schedTimes(), L.SCHED_MAX)
  }

  /** Bytes the input holds at once. */
  get capacity(): number {
    return CAPACITY
  }

  /** Takes the bytes to read next (whole lines, at most CAPACITY). */
  load(bytes: Uint8Array): void {
    this.#input.set(bytes)
  }

  /**
   * Reads events from `from` until a line it leaves to the parser or the columns are
   * full. Returns the rows read (their lines start at firstLine). Lines of the pids
   * `drop` are the parser's; `traceCmd`: the text is trace-cmd report's; `latency`: its
   * prefix is latency-format's.
   */
  scan(from: number, to: number, firstLine: number, poolBase: number, drop: readonly [number, number], retLayout: number, traceCmd: boolean, latency: boolean): number {
    return this.#x.scan(from, to, firstLine, poolBase, drop[0], drop[1], retLayout, traceCmd, false, latency)
  }

  /**
   * The same for the function tracer's lines (`func <-parent`), whose rows are read as
   * `functions`: the function, its parent, their sym-offsets' and modules' ids.
   */
  scanFunctions(from: number, to: number, firstLine: number, drop: readonly [number, number], traceCmd: boolean, latency: boolean): number {
    return this.#x.scan(from, to, firstLine, 0, drop[0], drop[1], -1, traceCmd, true, latency)
  }

  /** The rows scanFunctions read, as the function table's columns. */
  get functions(): FunctionColumns {
    return { line: this.line, cpu: this.cpu, pid: this.pid, tgid: this.tgid, task: this.task, flags: this.flags, ts: this.ts, func: this.name, parent: this.layout, offset: this.bodyFrom, parentOffset: this.bodyTo, module: this.site, parentModule: this.at }
  }

  /**
   * Reads function_graph calls from `from` into at most `max` ops (graphInts/graphFloats),
   * until a line it leaves to the reader. Returns the ops written; their lines start at firstLine.
   */
  scanGraph(from: number, to: number, firstLine: number, max: number): number {
    return this.#x.scanGraph(from, to, firstLine, max)
  }

  /** Lines the last scan read: its rows', and the stack blocks' it read with them. */
  get linesRead(): number {
    return this.#x.lines()
  }

  /** Stack lines (`<stack trace>`) the last scan read: entries of the buffer, as rows are. */
  get stackEntries(): number {
    return this.#x.stackEntries()
  }

  /**
   * The stack blocks the last scan read: `each(row, user, ids, from, to)`, the frames as
   * name ids at ids[from..to) (valid during the call), row counted from the scan's first.
   */
  eachStack(each: (row: number, user: boolean, ids: Int32Array, from: number, to: number) => void): void {
    const n = this.#x.stacksSize()
    const b = this.#stacks
    for (let i = 0; i < n; i += 3 + b[i + 2]) each(b[i], b[i + 1] === 1, b, i + 3, i + 3 + b[i + 2])
  }

  /** Scheduler entries the last scan read (scheds, schedTimes). */
  get schedsRead(): number {
    return this.#x.schedsRead()
  }

  /** Where the last scan stopped: the start of the line it did not read. */
  get stoppedAt(): number {
    return this.#x.stoppedAt()
  }
  get poolUsed(): number {
    return this.#x.poolSize()
  }
}

/** One pass of a scanner over loaded bytes, as its reader takes what it reads. */
export interface ScanPass {
  /** Scans from `pos`; returns how many lines it read (0: it left the line at `pos`). */
  scan(pos: number): number
  /** What the lines just scanned become (event rows, calls, a batch). */
  take(count: number): void
  /** Reads the line at `pos` the scanner left; returns where the next line starts. */
  leftover(pos: number): number
  /** Whether to stop here, after `misses` lines in a row left by the scanner: the rest is read another way. */
  stop?(misses: number): boolean
}

/**
 * The one loop that drives a scanner over `bytes` (already loaded): scan, take what it
 * read, read the line it left, go on after it. Returns where it stopped: `bytes.length`
 * when it read them all, else the start of the first line `stop` gave back.
 */
export function drive(sc: Scanner, bytes: Uint8Array, pass: ScanPass): number {
  const n = bytes.length
  let pos = 0
  let misses = 0
  while (pos < n) {
    if (pass.stop?.(misses)) return pos
    const count = pass.scan(pos)
    if (count > 0) {
      pass.take(count)
      pos = sc.stoppedAt
      misses = 0
      continue
    }
    misses++
    pos = pass.leftover(pos)
  }
  return n
}
