// AssemblyScript, compiled by `npm run build` to asm/build/scan.wasm (see asm/README.md).
//
// The hot loops of large traces, in WebAssembly. `scan`: event lines (syscalls, trace-cmd's
// syscall text, trace_printk, key=value tracepoints and probes) and the function tracer's
// lines, with the common prefix in any of its forms, read from the bytes of a chunk into
// columns the tables copy in bulk, with the stack blocks that follow their owner.
// `scanGraph`: function_graph calls (entries, leaves, exits) in every column set, into
// the packed ops the graph reader sends. WebAssembly is compiled before it runs, so the
// first lines run as fast as the last: the same loop in JavaScript spends a large part of
// a 400k-line parse in the interpreter, waiting for the JIT. Any line this code has the
// least doubt about ends a scan, and the JavaScript parser reads it.

@external("kspec", "intern")
declare function intern(kind: i32, from: usize, to: usize): i32
@external("kspec", "layout")
declare function layoutOf(keys: usize, count: i32): i32

import {
  COL_AT, COL_BODY_FROM, COL_BODY_TO, COL_CPU, COL_FLAGS, COL_KEYS, COL_KINDS, COL_LAYOUT, COL_LINE, COL_NAME, COL_PID, COL_POOL, COL_SITE, COL_TASK, COL_TGID, COL_TS,
  GRAPH_FLOATS, GRAPH_INTS, NAME_ENTER, NAME_EXIT, NAME_PLAIN, NAME_SITE, NAME_TASK, OP_ENTRY, OP_EXIT, OP_LEAF, POOL_SPAN, POOL_VALUE, POOL_WIDE,
  SCHED_BODY_FROM, SCHED_BODY_TO, SCHED_COMM_FROM, SCHED_COMM_TO, SCHED_CPU, SCHED_FLAGS, SCHED_INTS, SCHED_LINE, SCHED_MAX, SCHED_NEXT_CPU, SCHED_NEXT_PID, SCHED_NEXT_PRIO,
  SCHED_NEXT_STATE, SCHED_PID, SCHED_PREV_PID, SCHED_PREV_PRIO, SCHED_PREV_STATE, SCHED_ROW, SCHED_TASK, SCHED_TGID, SCHED_WAKEUP,
} from '../src/parse/layout'

// Names: tasks and flags, syscall entries, syscall exits, other events by their printed name, probe sites (src/parse/layout.ts).
const TASK: i32 = NAME_TASK
const ENTER: i32 = NAME_ENTER
const EXIT: i32 = NAME_EXIT
const PLAIN: i32 = NAME_PLAIN
const SITE: i32 = NAME_SITE

export const ROWS: i32 = 8192
export const MAX_KEYS: i32 = 16
const POOL: i32 = ROWS * MAX_KEYS
const NAME_SLOTS: i32 = 1 << 16
const NAME_BYTES: i32 = 1 << 20
const LAYOUT_SLOTS: i32 = 1 << 12

let input: usize = 0
// Columns, ROWS entries each.
let cLine: usize = 0
let cCpu: usize = 0
let cPid: usize = 0
let cTask: usize = 0
let cFlags: usize = 0
let cName: usize = 0
let cTs: usize = 0
let cBodyFrom: usize = 0
let cBodyTo: usize = 0
let cLayout: usize = 0
let cAt: usize = 0
let cTgid: usize = 0
let cSite: usize = 0
let pool: usize = 0
/** Per pool place, what it holds: a number or a span of the chunk (POOL_VALUE, POOL_SPAN). */
let kinds: usize = 0
// Interned names: slots of (hash, offset of the bytes, length, kind, id, last layout slot + 1).
let names: usize = 0
let nameBytes: usize = 0
let nameUsed: i32 = 0
let nameCount: i32 = 0
// Key lists: slots of (hash, count, offset of key ranges, layout id); key ranges point into nameBytes.
let layouts: usize = 0
let layoutCount: i32 = 0
/** The key ranges of the line being read: (from, to) pairs. */
let keys: usize = 0
/** A name slot standing for "the table is full": its id is -1. */
let full: usize = 0

/** The last line's TASK-PID columns (3 × 8 bytes), flags (8 bytes), and what they gave. */
let lastHead0: u64 = 0
let lastHead1: u64 = 0
let lastHead2: u64 = 0
let lastTask: i32 = -1
let lastPid: i32 = 0
let lastFlags: u64 = 0
let lastFlagsLen: i32 = 0
let lastFlagsId: i32 = -1

/** Each byte's classes (KEY_START, KEY_CHAR): one load where keyAt compared up to seven times. */
let byteClass: usize = 0
/** A letter or `_`: what a key begins with. */
const KEY_START: u8 = 1
/** A letter, digit, `_` or `.`: what a key goes on with. */
const KEY_CHAR: u8 = 2

function initByteClass(): void {
  byteClass = heap.alloc(256)
  for (let c = 0; c < 256; c++) {
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    store<u8>(byteClass + <usize>c, (letter ? KEY_START : 0) | (letter || isDigit(c) || c == 46 ? KEY_CHAR : 0))
  }
}

/** What the last scan did. */
let stopAt: i32 = 0
let poolUsed: i32 = 0

export function init(capacity: i32): void {
  input = heap.alloc(<usize>capacity)
  cLine = heap.alloc(ROWS * 4)
  cCpu = heap.alloc(ROWS * 4)
  cPid = heap.alloc(ROWS * 4)
  cTask = heap.alloc(ROWS * 4)
  cFlags = heap.alloc(ROWS * 4)
  cName = heap.alloc(ROWS * 4)
  cTs = heap.alloc(ROWS * 8)
  cBodyFrom = heap.alloc(ROWS * 4)
  cBodyTo = heap.alloc(ROWS * 4)
  cLayout = heap.alloc(ROWS * 4)
  cAt = heap.alloc(ROWS * 4)
  cTgid = heap.alloc(ROWS * 4)
  cSite = heap.alloc(ROWS * 4)
  pool = heap.alloc(<usize>POOL * 8)
  kinds = heap.alloc(<usize>POOL)
  names = heap.alloc(<usize>NAME_SLOTS * 24)
  memory.fill(names, 0, <usize>NAME_SLOTS * 24)
  nameBytes = heap.alloc(NAME_BYTES)
  layouts = heap.alloc(<usize>LAYOUT_SLOTS * 16)
  memory.fill(layouts, 0, <usize>LAYOUT_SLOTS * 16)
  keys = heap.alloc(<usize>MAX_KEYS * 8)
  stackBuf = heap.alloc(<usize>STACK_INTS * 4)
  schedBuf = heap.alloc(<usize>(SCHEDS * SCHED_INTS) * 4)
  schedTs = heap.alloc(<usize>SCHEDS * 8)
  initGraph()
  initByteClass()
  full = heap.alloc(24)
  memory.fill(full, 0, 24)
  store<i32>(full, -1, 16)
}

export function inputAt(): usize { return input }
export function column(k: i32): usize {
  switch (k) {
    case COL_LINE: return cLine
    case COL_CPU: return cCpu
    case COL_PID: return cPid
    case COL_TASK: return cTask
    case COL_FLAGS: return cFlags
    case COL_NAME: return cName
    case COL_TS: return cTs
    case COL_BODY_FROM: return cBodyFrom
    case COL_BODY_TO: return cBodyTo
    case COL_LAYOUT: return cLayout
    case COL_AT: return cAt
    case COL_POOL: return pool
    case COL_KEYS: return keys
    case COL_TGID: return cTgid
    case COL_SITE: return cSite
    case COL_KINDS: return kinds
  }
  return 0
}
export function stoppedAt(): i32 { return stopAt }
export function poolSize(): i32 { return poolUsed }

@inline function at(i: usize): i32 { return <i32>load<u8>(input + i) }

/** The first byte `c` at or after p, or `end`. Sixteen bytes at a time (SIMD). */
@inline function findByte(p: usize, end: usize, c: i32): usize {
  const wanted = i8x16.splat(<i8>c)
  while (p + 16 <= end) {
    const hits = i8x16.bitmask(i8x16.eq(v128.load(input + p), wanted))
    if (hits != 0) return p + <usize>ctz(hits)
    p += 16
  }
  while (p < end && at(p) != c) p++
  return p
}

/** Where the line at p ends: its newline, or `end`. */
@inline function lineEnd(p: usize, end: usize): usize {
  return findByte(p, end, 10)
}
@inline function isDigit(c: i32): bool { return c >= 48 && c <= 57 }
/** ASCII whitespace, as JavaScript's trim() and `\s` have it. */
@inline function isSpace(c: i32): bool { return c == 32 || (c >= 9 && c <= 13) }
@inline function isIdentChar(c: i32): bool { return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
@inline function hexDigit(c: i32): i32 {
  return isDigit(c) ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
}

/**
 * A hash of input[from, to) for names of this kind: eight bytes at a time, the last eight
 * overlapping the ones before (names are mostly 8-30 bytes). Names of the kinds hashed
 * here (TASK, SITE) are only ever hashed here; event names are hashed byte by byte as
 * they are read (seeded), a kind apart.
 */
function hashOf(kind: i32, from: usize, to: usize): u32 {
  const n = to - from
  const k: u64 = 0xff51afd7ed558ccd
  let h: u64 = <u64>n * 0x9e3779b97f4a7c15
  if (n >= 8) {
    const last = to - 8
    for (let i = from; i < last; i += 8) h = (h ^ load<u64>(input + i)) * k
    h = (h ^ load<u64>(input + last)) * k
  } else if (n >= 4) {
    h = (h ^ (<u64>load<u32>(input + from) | (<u64>load<u32>(input + to - 4) << 32))) * k
  } else {
    for (let i = from; i < to; i++) h = (h ^ <u64>load<u8>(input + i)) * k
  }
  h ^= h >> 33
  h *= 0xc4ceb9fe1a85ec53
  h ^= h >> 33
  return seeded(kind, <u32>h)
}

/** The bytes' running hash (from 0) mixed with the kind, as names are hashed. */
@inline function seeded(kind: i32, h: u32): u32 {
  return (h ^ (<u32>kind * 0x9e3779b9)) * 0x01000193
}

/** Whether the n bytes at a and at b are the same: eight at a time, the last eight overlapping. */
function sameBytes(a: usize, b: usize, n: i32): bool {
  if (n >= 8) {
    const last = <usize>(n - 8)
    for (let i: usize = 0; i < last; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false
    return load<u64>(a + last) == load<u64>(b + last)
  }
  if (n >= 4) return load<u32>(a) == load<u32>(b) && load<u32>(a + <usize>n - 4) == load<u32>(b + <usize>n - 4)
  for (let i = 0; i < n; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false
  return true
}

/** The id JavaScript gave the name input[from, to) of this kind; -1 when the table is full. */
function nameId(kind: i32, from: usize, to: usize): i32 {
  return load<i32>(nameSlot(kind, from, to, hashOf(kind, from, to)), 16)
}

/** The slot of the name input[from, to) of this kind, whose hash is h; filled on first sight. */
function nameSlot(kind: i32, from: usize, to: usize, h: u32): usize {
  const len = <i32>(to - from)
  const mask = NAME_SLOTS - 1
  for (let idx = <i32>h & mask; ; idx = (idx + 1) & mask) {
    const slot = names + <usize>idx * 24
    const off = load<i32>(slot, 4)
    if (off == 0) {
      if (nameCount * 2 > NAME_SLOTS || nameUsed + len + 1 > NAME_BYTES) return full
      const id = intern(kind, from, to)
      // Offsets are stored + 1, so that 0 marks a free slot.
      memory.copy(nameBytes + <usize>nameUsed, input + from, <usize>len)
      store<u32>(slot, h)
      store<i32>(slot, nameUsed + 1, 4)
      store<i32>(slot, len, 8)
      store<i32>(slot, kind, 12)
      store<i32>(slot, id, 16)
      store<i32>(slot, 0, 20)
      nameUsed += len
      nameCount++
      return slot
    }
    if (load<u32>(slot) == h && load<i32>(slot, 8) == len && load<i32>(slot, 12) == kind && sameBytes(nameBytes + <usize>(off - 1), input + from, len)) return slot
  }
  return full
}

/** The layout of the `count` keys in `keys`, tried first against the one `name` had last. */
function layoutFor(name: usize, count: i32): i32 {
  const last = load<i32>(name, 20)
  if (last > 0) {
    const slot = layouts + <usize>(last - 1) * 16
    if (load<i32>(slot, 4) == count && sameKeys(nameBytes + <usize>(load<i32>(slot, 8) - 1), count)) return load<i32>(slot, 12)
  }
  const id = layoutId(count)
  if (id >= 0 && name != full) store<i32>(name, foundSlot + 1, 20)
  return id
}

/** The slot layoutId found or filled last. */
let foundSlot: i32 = 0

/** The layout of the `count` keys whose ranges are in `keys`; -1 when the table is full. */
function layoutId(count: i32): i32 {
  let h: u32 = 0x811c9dc5 ^ <u32>count
  for (let k = 0; k < count; k++) {
    h = (h ^ 44) * 0x01000193
    const from = <usize>load<i32>(keys + (<usize>k << 3))
    const to = <usize>load<i32>(keys + (<usize>k << 3), 4)
    for (let i = from; i < to; i++) h = (h ^ <u32>load<u8>(input + i)) * 0x01000193
  }
  const mask = LAYOUT_SLOTS - 1
  for (let idx = <i32>h & mask; ; idx = (idx + 1) & mask) {
    const slot = layouts + <usize>idx * 16
    const ranges = load<i32>(slot, 8)
    if (ranges == 0) {
      let need = 0
      for (let k = 0; k < count; k++) need += load<i32>(keys + (<usize>k << 3), 4) - load<i32>(keys + (<usize>k << 3)) + 8
      if (layoutCount * 2 > LAYOUT_SLOTS || nameUsed + need + 8 > NAME_BYTES) return -1
      const id = layoutOf(keys, count)
      if (id < 0) return -1
      // The keys' bytes are kept (as length, bytes) for comparing later lines with.
      const start = nameUsed
      for (let k = 0; k < count; k++) {
        const from = <usize>load<i32>(keys + (<usize>k << 3))
        const len = load<i32>(keys + (<usize>k << 3), 4) - <i32>from
        store<i32>(nameBytes + <usize>nameUsed, len)
        memory.copy(nameBytes + <usize>nameUsed + 4, input + from, <usize>len)
        nameUsed += 4 + len
      }
      store<u32>(slot, h)
      store<i32>(slot, count, 4)
      store<i32>(slot, start + 1, 8)
      store<i32>(slot, id, 12)
      layoutCount++
      foundSlot = idx
      return id
    }
    if (load<u32>(slot) == h && load<i32>(slot, 4) == count && sameKeys(nameBytes + <usize>(ranges - 1), count)) {
      foundSlot = idx
      return load<i32>(slot, 12)
    }
  }
  return -1
}

function sameKeys(stored: usize, count: i32): bool {
  let p = stored
  for (let k = 0; k < count; k++) {
    const from = <usize>load<i32>(keys + (<usize>k << 3))
    const len = load<i32>(keys + (<usize>k << 3), 4) - <i32>from
    if (load<i32>(p) != len || !sameBytes(p + 4, input + from, len)) return false
    p += 4 + <usize>len
  }
  return true
}

/**
 * A hex value input[from, to) (`0x` optional) as a number, when it is one exactly: up to
 * 13 digits, or 14-16 digits whose value fits (as a two's-complement int64 when
 * `signed`). NaN otherwise: the line goes to JavaScript, which makes a bigint or string.
 */
function hexValue(from: usize, to: usize, signed: bool): f64 {
  if (to - from >= 2 && at(from) == 48 && at(from + 1) == 120) from += 2
  const n = <i32>(to - from)
  if (n == 0 || n > 16) return NaN
  if (n <= 13) {
    let v: f64 = 0
    for (let i = from; i < to; i++) {
      const d = hexDigit(at(i))
      if (d < 0) return NaN
      v = v * 16 + <f64>d
    }
    return v
  }
  let hi: f64 = 0
  let lo: f64 = 0
  const split = to - 8
  for (let i = from; i < to; i++) {
    const d = hexDigit(at(i))
    if (d < 0) return NaN
    if (i < split) hi = hi * 16 + <f64>d
    else lo = lo * 16 + <f64>d
  }
  if (signed && n == 16 && hi >= 2147483648) {
    const h = hi - 4294967296
    return h > -2097152 ? h * 4294967296 + lo : NaN
  }
  return hi < 2097152 ? hi * 4294967296 + lo : NaN
}

// The prefix of the line being read (prefixAt): pid, tgid (-1: none), CPU, task and flags
// ids (flags -1: none), timestamp, where the body starts.
let pPid: i32 = 0
let pTgid: i32 = -1
let pCpu: i32 = 0
let pTask: i32 = -1
let pFlags: i32 = -1
let pTs: f64 = 0
let pBody: usize = 0

/**
 * The common prefix of the line input[line, e), as src/parse/prefix.ts parsePrefixAt reads
 * it: the default columns first (`%16s-%-7d [%03d] `), else a search for ` [CPU]` with
 * `TASK-PID` (and a record-tgid `(TGID)`) before it; then flags (optional: irq-info
 * off) and the timestamp. False when the line has none, or it is one to leave to
 * JavaScript; a full name table leaves pTask -1.
 */
function prefixAt(line: usize, e: usize): bool {
  if (e - line >= 34 && at(line + 16) == 45 && at(line + 25) == 91 && at(line + 29) == 93 && columnsAt(line)) return pTask >= 0 && afterCpu(line + 30, e)
  // Each `[` in turn (a line of another prefix has none: it is passed at SIMD speed).
  for (let open = findByte(line + 1, e, 91); open < e; open = findByte(open + 1, e, 91)) {
    if (at(open - 1) != 32) continue
    let i = open + 1
    let cpu = 0
    while (i < e && isDigit(at(i))) {
      cpu = cpu * 10 + at(i) - 48
      i++
    }
    if (i == open + 1 || i >= e || at(i) != 93) continue
    pCpu = cpu
    return taskBefore(line, open) && pTask >= 0 && afterCpu(i + 1, e)
  }
  return false
}

/**
 * latency-format's prefix (prefix.ts parseLatencyPrefix): `%8.8s-%-7d %3d`, the flags glued
 * to the CPU, then ` 20597us : ` with a one-character delay mark before the colon.
 */
function latencyPrefixAt(line: usize, e: usize): bool {
  if (e - line < 22 || at(line + 8) != 45) return false
  let i = line + 9
  let pid = 0
  while (i < e && isDigit(at(i)) && i < line + 18) {
    pid = pid * 10 + at(i) - 48
    i++
  }
  if (i == line + 9 || i >= e || at(i) != 32) return false
  while (i < e && at(i) == 32) i++
  const cpuFrom = i
  let cpu = 0
  while (i < e && isDigit(at(i)) && i < cpuFrom + 5) {
    cpu = cpu * 10 + at(i) - 48
    i++
  }
  if (i == cpuFrom) return false
  const flagsFrom = i
  while (i < e && at(i) != 32) i++
  if (i >= e) return false
  const flagsTo = i
  while (i < e && at(i) == 32) i++
  // The time: digits (and a fraction) up to `us`, then at most a mark and spaces before `: `.
  const tsFrom = i
  while (i < e && (isDigit(at(i)) || at(i) == 46)) i++
  if (i == tsFrom || i + 1 >= e || at(i) != 117 || at(i + 1) != 115) return false
  const ts = decimal(tsFrom, i)
  if (isNaN(ts)) return false
  let colon = i + 2
  while (colon < e && colon <= i + 4 && !(at(colon) == 58 && colon + 1 < e && at(colon + 1) == 32)) colon++
  if (colon > i + 4 || colon >= e) return false
  let task = line
  while (task < line + 8 && at(task) == 32) task++
  pPid = pid
  pTgid = -1
  pCpu = cpu
  pTs = ts
  pTask = nameId(TASK, task, line + 8)
  pFlags = flagsTo > flagsFrom ? flagsId(flagsFrom, flagsTo) : nameId(TASK, flagsFrom, flagsTo)
  pBody = colon + 2
  return pFlags >= 0
}


/**
 * `trace-cmd report -l`'s prefix (prefix.ts parseTraceCmdLatencyPrefix): `TASK-PID` (the
 * first `-` after which the rest reads), the CPU and the flags glued, then the time:
 * `bash-4127    1d..2. 8812.003344: `, or the raw clock glued to five flags:
 * `trace-cm-6973    2d..4.259445106948920: `.
 */
function traceCmdLatencyAt(line: usize, e: usize): bool {
  let start = line
  while (start < e && isSpace(at(start))) start++
  for (let glued = 0; glued < 2; glued++) {
    for (let dash = start; dash < e; dash++) {
      if (at(dash) != 45) continue
      let i = dash + 1
      let pid = 0
      while (i < e && isDigit(at(i))) {
        pid = pid * 10 + at(i) - 48
        i++
      }
      if (i == dash + 1 || i >= e || !isSpace(at(i))) continue
      // Numbers the columns cannot hold: JavaScript's.
      if (i - dash > 10) return false
      while (i < e && isSpace(at(i))) i++
      const cpuFrom = i
      let cpu = 0
      while (i < e && isDigit(at(i))) {
        cpu = cpu * 10 + at(i) - 48
        i++
      }
      if (i == cpuFrom || i >= e || isSpace(at(i))) continue
      if (i - cpuFrom > 5) return false
      const flagsFrom = i
      let tsFrom: usize = 0
      let flagsTo: usize = 0
      if (glued == 0) {
        while (i < e && !isSpace(at(i))) i++
        flagsTo = i
        while (i < e && isSpace(at(i))) i++
        if (i == flagsTo) continue
        tsFrom = i
        while (i < e && isDigit(at(i))) i++
        if (i == tsFrom || i >= e || at(i) != 46) continue
        i++
        const frac = i
        while (i < e && isDigit(at(i))) i++
        if (i == frac) continue
      } else {
        if (flagsFrom + 5 > e) continue
        let ok = true
        for (let k = flagsFrom + 1; k < flagsFrom + 5; k++) if (isSpace(at(k))) ok = false
        if (!ok) continue
        flagsTo = flagsFrom + 5
        tsFrom = flagsTo
        i = tsFrom
        while (i < e && isDigit(at(i))) i++
        if (i - tsFrom < 12) continue
      }
      if (i + 1 >= e || at(i) != 58 || !isSpace(at(i + 1))) continue
      if (i - tsFrom > 15) return false
      pPid = pid
      pTgid = -1
      pCpu = cpu
      pTs = decimal(tsFrom, i)
      pTask = nameId(TASK, start, dash)
      pFlags = flagsId(flagsFrom, flagsTo)
      pBody = i + 2
      return pFlags >= 0
    }
  }
  return false
}

/**
 * Where trace-cmd's line at `line` starts once an instance's `name: ` is taken off it (the
 * parser's withoutInstance: a first `: ` with no space before it, and a space after it):
 * `line` itself when there is none, 0 when it is the parser's to tell (no `: ` at all, or
 * one not followed by a space: not a record line this scanner reads).
 */
function afterInstance(line: usize, e: usize): usize {
  for (let i = line; i + 1 < e; i++) {
    if (at(i) == 32) return line
    if (at(i) == 58 && at(i + 1) == 32) return i > line && i + 2 < e && at(i + 2) == 32 ? i + 2 : 0
  }
  return 0
}

/** The default columns (atColumns); most lines repeat the last one's task and pid: 24 bytes compared at once. */
function columnsAt(line: usize): bool {
  const head0 = load<u64>(input + line)
  const head1 = load<u64>(input + line, 8)
  const head2 = load<u64>(input + line, 16)
  if (lastTask >= 0 && head0 == lastHead0 && head1 == lastHead1 && head2 == lastHead2 && at(line + 24) == 32) {
    pPid = lastPid
    pTask = lastTask
  } else {
    let pid = 0
    let i = line + 17
    while (i < line + 24 && isDigit(at(i))) {
      pid = pid * 10 + at(i) - 48
      i++
    }
    if (i == line + 17) return false
    for (; i < line + 25; i++) if (at(i) != 32) return false
    let task = line
    while (task < line + 16 && (at(task) == 32 || at(task) == 9)) task++
    if (task == line + 16) return false
    pPid = pid
    pTask = nameId(TASK, task, line + 16)
    if (pTask < 0) return true
    lastHead0 = head0
    lastHead1 = head1
    lastHead2 = head2
    lastTask = pTask
    lastPid = pid
  }
  let cpu = 0
  for (let i = line + 26; i < line + 29; i++) {
    const c = at(i)
    if (!isDigit(c)) return false
    cpu = cpu * 10 + c - 48
  }
  pCpu = cpu
  pTgid = -1
  return true
}

/** `TASK-PID` before the CPU's bracket at `open`, optionally followed by `(  TGID)` (taskBefore). */
function taskBefore(line: usize, open: usize): bool {
  let end = <isize>open - 1
  const first = <isize>line
  while (end >= first && at(<usize>end) == 32) end--
  pTgid = -1
  if (end >= first && at(<usize>end) == 41) {
    let paren = end - 1
    while (paren >= first && at(<usize>paren) != 40) paren--
    if (paren < first) return false
    // Digits between spaces, or dashes for an unknown tgid (`(-----)`); JavaScript reads anything else.
    let i = paren + 1
    while (i < end && at(<usize>i) == 32) i++
    let tgid = 0
    const digits = i
    while (i < end && isDigit(at(<usize>i))) {
      tgid = tgid * 10 + at(<usize>i) - 48
      i++
    }
    if (i > digits) {
      while (i < end && at(<usize>i) == 32) i++
      if (i != end) return false
      pTgid = tgid
    } else {
      while (i < end && at(<usize>i) == 45) i++
      if (i == digits || i != end) return false
    }
    end = paren - 1
    while (end >= first && at(<usize>end) == 32) end--
  }
  let p = end
  let pid = 0
  let scale = 1
  while (p >= first && isDigit(at(<usize>p))) {
    pid += (at(<usize>p) - 48) * scale
    scale *= 10
    p--
  }
  if (p == end || p < first || at(<usize>p) != 45 || end - p > 9) return false
  let start = line
  while (at(start) == 32 || at(start) == 9) start++
  pPid = pid
  pTask = nameId(TASK, start, <usize>p)
  return true
}

/** `] FLAGS   TS: ` or `]   TS: ` from i (afterCpu); sets the flags, timestamp and body. */
function afterCpu(from: usize, e: usize): bool {
  let i = from
  while (i < e && at(i) == 32) i++
  let tokenEnd = i
  while (tokenEnd < e && at(tokenEnd) != 32) tokenEnd++
  if (tokenEnd == e) return false
  pFlags = -1
  if (at(tokenEnd - 1) != 58) {
    pFlags = flagsId(i, tokenEnd)
    if (pFlags < 0) return false
    i = tokenEnd
    while (i < e && at(i) == 32) i++
    tokenEnd = i
    while (tokenEnd < e && at(tokenEnd) != 32) tokenEnd++
    if (tokenEnd == e || at(tokenEnd - 1) != 58) return false
  }
  pTs = decimal(i, tokenEnd - 1)
  if (isNaN(pTs)) return false
  pBody = tokenEnd + 1
  return true
}

/** The flags' id: up to 8 bytes compared with the last line's at once. */
function flagsId(from: usize, to: usize): i32 {
  const len = <i32>(to - from)
  if (len > 8) return nameId(TASK, from, to)
  const bits = load<u64>(input + from) & (len == 8 ? <u64>-1 : ((<u64>1 << (<u64>len << 3)) - 1))
  if (lastFlagsId >= 0 && len == lastFlagsLen && bits == lastFlags) return lastFlagsId
  lastFlags = bits
  lastFlagsLen = len
  lastFlagsId = nameId(TASK, from, to)
  return lastFlagsId
}

/** Event names' characters (isName): a group (`grp:probe`), dots, dashes. */
@inline function isNameChar(c: i32): bool { return isIdentChar(c) || c == 46 || c == 58 || c == 45 }

/** Whether input[from, ...) starts with the ASCII text of `word` (a short literal). */
function startsWith(from: usize, to: usize, word: string): bool {
  const n = word.length
  if (to - from < <usize>n) return false
  for (let k = 0; k < n; k++) if (at(from + <usize>k) != word.charCodeAt(k)) return false
  return true
}

/** Where the `=` of a `key=` at i is, before `to` (keyAt), or 0 for none. */
function keyAt(i: usize, to: usize): usize {
  if ((load<u8>(byteClass + <usize>at(i)) & KEY_START) == 0) return 0
  for (let j = i + 1; j < to; j++) {
    if ((load<u8>(byteClass + <usize>at(j)) & KEY_CHAR) != 0) continue
    return at(j) == 61 ? j : 0
  }
  return 0
}

/** Where a quoted value that opened before i ends (closingQuote): its last quote before the next ` key=` or `to`; `to` for none. */
function closingQuote(i: usize, to: usize): usize {
  for (let j = i; j < to; j++) {
    if (at(j) != 34) continue
    if (j + 1 == to) return j
    if (at(j + 1) == 32) {
      let k = j + 1
      while (k < to && at(k) == 32) k++
      if (k == to || keyAt(k, to) != 0) return j
    }
  }
  return to
}

/** Pool place kinds, as the event table keeps them (src/parse/layout.ts). */
const VALUE: u8 = <u8>POOL_VALUE
const SPAN: u8 = <u8>POOL_SPAN
const WIDE: u8 = <u8>POOL_WIDE

/**
 * A key=value value input[from, to) typed as body-fields.ts typeInto types it (no format:
 * names with one are JavaScript's) into pool place `place`: numbers past an exact
 * float's digits as WIDE spans (the table makes them bigints when read). False for a
 * string of 64 KiB or more.
 */
function typeValue(from: usize, to: usize, place: i32): bool {
  const len = to - from
  if (len >= 65536) return false
  const c = len > 0 ? at(from) : 0
  if (!(c == 45 || isDigit(c))) return span(from, len, place, SPAN)
  // Decimal while it stays exact (15 digits).
  let i = c == 45 ? from + 1 : from
  if (i < to && to - i <= 15) {
    let v: f64 = 0
    while (i < to && isDigit(at(i))) {
      v = v * 10 + <f64>(at(i) - 48)
      i++
    }
    if (i == to) return number(c == 45 ? -v : v, place)
  }
  // 0x hex of up to 13 digits.
  if (c == 48 && len > 2 && at(from + 1) == 120) {
    let j = from + 2
    while (j < to && hexDigit(at(j)) >= 0) j++
    if (j == to) return len - 2 <= 13 ? number(hexValue(from, to, false), place) : span(from, len, place, WIDE)
  }
  // All digits beyond 15: a bigint, or a number when it is a safe integer (WIDE).
  i = c == 45 ? from + 1 : from
  while (i < to && isDigit(at(i))) i++
  if (i == to && i > (c == 45 ? from + 1 : from)) return span(from, len, place, WIDE)
  return span(from, len, place, SPAN)
}

@inline function number(v: f64, place: i32): bool {
  store<f64>(pool + (<usize>place << 3), v)
  store<u8>(kinds + <usize>place, VALUE)
  return true
}

/** A value kept as text where it stands in the chunk, `from * 2^16 + length` (EventTable.putSpan): a string (SPAN) or a WIDE number. */
@inline function span(from: usize, len: usize, place: i32, kind: u8): bool {
  store<f64>(pool + (<usize>place << 3), <f64>from * 65536 + <f64>len)
  store<u8>(kinds + <usize>place, kind)
  return true
}

/**
 * `key=value key2="str"` from i to e (keyValuesInto's plain shape: single spaces, values
 * of one word or quoted, sched_switch's `==>`), keys into `keys`, values typed into the
 * pool from `place`. The number of keys, or -1 for a line JavaScript reads.
 */
function keyValues(i: usize, e: usize, place: i32): i32 {
  let count = 0
  while (i < e) {
    if (count == MAX_KEYS) return -1
    const eq = keyAt(i, e)
    if (eq == 0) return -1
    store<i32>(keys + (<usize>count << 3), <i32>i)
    store<i32>(keys + (<usize>count << 3), <i32>eq, 4)
    let vFrom = eq + 1
    let vTo = vFrom
    if (vFrom < e && at(vFrom) == 34) {
      vTo = closingQuote(vFrom + 1, e)
      if (vTo == e) return -1
      vFrom++
      i = vTo + 1
    } else {
      while (vTo < e && at(vTo) != 32) vTo++
      i = vTo
    }
    if (!typeValue(vFrom, vTo, place + count)) return -1
    count++
    if (i == e) return count
    if (at(i) != 32) return -1
    i++
    if (startsWith(i, e, '==> ')) i += 4
    if (i >= e) return -1
  }
  return count
}

/**
 * `key: value, key: value` from i to close, every value hex (a syscall's arguments, as
 * syscallArgsInto reads them), keys into `keys`, values into the pool from `place`.
 * The number of keys, or -1.
 */
function syscallArgs(i: usize, close: usize, place: i32): i32 {
  let count = 0
  while (i < close) {
    if (count == MAX_KEYS) return -1
    const keyFrom = i
    while (i < close && at(i) != 58) i++
    if (i + 1 >= close || at(i + 1) != 32 || i == keyFrom) return -1
    store<i32>(keys + (<usize>count << 3), <i32>keyFrom)
    store<i32>(keys + (<usize>count << 3), <i32>i, 4)
    const valueFrom = i + 2
    let valueTo = valueFrom
    while (valueTo < close && at(valueTo) != 44) valueTo++
    const v = hexValue(valueFrom, valueTo, false)
    if (isNaN(v)) return -1
    number(v, place + count)
    count++
    if (valueTo == close) return count
    if (valueTo + 1 >= close || at(valueTo + 1) != 32) return -1
    i = valueTo + 2
  }
  return count
}

/** What the body just read was: its name, layout, values, site (-1: none), text. */
let bName: i32 = -1
let bLayout: i32 = -1
let bCount: i32 = 0
let bSite: i32 = -1
let bFrom: usize = 0
let bTo: usize = 0

/**
 * The event body input[body, e) as event.ts eventShapeAt and EventRows.add read it:
 * `sys_x(args)`, `sys_x -> ret`, or `name: rest`, where rest is trace-cmd's
 * `sys_enter_x: args` or `sys_exit_x: ret`, or `key=value`s after a probe's `(site)`.
 * Values go to the pool from `place`. False for a line JavaScript reads.
 */
function bodyAt(body: usize, e: usize, place: i32, retLayout: i32): bool {
  let j = body
  let h: u32 = 0
  let c = 0
  while (j < e) {
    c = at(j)
    if (!isIdentChar(c)) break
    h = (h ^ <u32>c) * 0x01000193
    j++
  }
  if (j == body || j == e) return false
  bSite = -1
  if (c == 40 && at(e - 1) == 41) {
    const n = syscallArgs(j + 1, e - 1, place)
    if (n < 0) return false
    const slot = nameSlot(ENTER, body, j, seeded(ENTER, h))
    bName = load<i32>(slot, 16)
    if (bName < 0) return false
    bLayout = layoutFor(slot, n)
    bCount = n
    bFrom = j + 1
    bTo = e - 1
    return bLayout >= 0
  }
  if (c == 32 && j + 4 < e && at(j + 1) == 45 && at(j + 2) == 62 && at(j + 3) == 32) {
    const v = hexValue(j + 4, e, true)
    if (isNaN(v)) return false
    bName = load<i32>(nameSlot(EXIT, body, j, seeded(EXIT, h)), 16)
    if (bName < 0) return false
    number(v, place)
    bLayout = retLayout
    bCount = 1
    bFrom = j + 4
    bTo = e
    return true
  }
  return plainAt(body, j, h, e, place, retLayout, false)
}

/**
 * `name: rest` from body, the name's first characters read up to j (their hash h): the
 * name runs to the line's first `: `, of name characters only. trace-cmd's
 * `bprint: CALLER: message` (and `bputs:`) is the caller's event, as the parser's
 * printkCaller has it, when the caller is a plain name without a probe site (`inner`).
 */
function plainAt(body: usize, j: usize, h: u32, e: usize, place: i32, retLayout: i32, inner: bool): bool {
  while (j < e && !(at(j) == 58 && j + 1 < e && at(j + 1) == 32)) {
    const c = at(j)
    if (!isNameChar(c)) return false
    h = (h ^ <u32>c) * 0x01000193
    j++
  }
  if (j >= e) return false
  let rest = j + 2
  while (rest < e && at(rest) == 32) rest++
  if (!inner && ((j - body == 6 && startsWith(body, j, 'bprint')) || (j - body == 5 && startsWith(body, j, 'bputs')))) return callerAt(rest, e, place, retLayout)
  const slot = nameSlot(PLAIN, body, j, seeded(PLAIN, h))
  bName = load<i32>(slot, 16)
  if (bName == -1) return false
  // -2 - id: a scheduler event while kspec's pids are known: its line is the parser's when it names them.
  const sched = bName <= -2
  if (sched) bName = -2 - bName
  bFrom = rest
  bTo = e
  if (startsWith(body, j, 'sys_enter_')) {
    const n = syscallArgs(rest, e, place)
    if (n < 0) return false
    bLayout = layoutFor(slot, n)
    bCount = n
    return bLayout >= 0
  }
  if (startsWith(body, j, 'sys_exit_')) {
    let to = e
    while (to > rest && at(to - 1) <= 32) to--
    const v = hexValue(rest, to, true)
    if (isNaN(v)) return false
    number(v, place)
    bLayout = retLayout
    bCount = 1
    return true
  }
  // trace-cmd's own sched_switch text has no `prev_comm=`: JavaScript's.
  if (j - body == 12 && startsWith(body, j, 'sched_switch') && !startsWith(rest, e, 'prev_comm=')) return false
  if (rest < e && at(rest) == 40) {
    let close = rest + 1
    while (close < e && at(close) != 41) close++
    if (close < e) {
      if (inner) return false
      bSite = nameId(SITE, rest + 1, close)
      if (bSite < 0) return false
      bFrom = close + 1
      while (bFrom < e && at(bFrom) == 32) bFrom++
    }
  }
  if (sched && namesPid(bFrom, e)) return false
  const n = keyValues(bFrom, e, place)
  if (n < 0) return false
  bLayout = layoutFor(slot, n)
  bCount = n
  return bLayout >= 0
}

/** The pids whose scheduling is kspec's own (the spawner's and the launcher's), for the scan under way. */
let dropPid: i32 = -1
let dropLauncher: i32 = -1

/** Whether input[from, e) has `pid=`, `prev_pid=` or `next_pid=` of a dropped pid as a word (the parser's aboutKspec pattern). */
function namesPid(from: usize, e: usize): bool {
  for (let k = from; k < e; k++) {
    if (k > from && !isSpace(at(k - 1))) continue
    let v = k
    if (startsWith(k, e, 'pid=')) v = k + 4
    else if (startsWith(k, e, 'prev_pid=') || startsWith(k, e, 'next_pid=')) v = k + 9
    else continue
    if (isPidAt(v, e, dropPid) || isPidAt(v, e, dropLauncher)) return true
  }
  return false
}

/** Whether the decimal `pid` stands at v, followed by a space or the end. */
function isPidAt(v: usize, e: usize, pid: i32): bool {
  if (pid < 0) return false
  let digits = 1
  for (let p = pid; p >= 10; p /= 10) digits++
  const end = v + <usize>digits
  if (end > e || (end < e && !isSpace(at(end)))) return false
  let p = pid
  for (let i = end - 1; i >= v; i--) {
    if (at(i) != 48 + p % 10) return false
    p /= 10
    if (i == v) break
  }
  return true
}

/** A trace_printk's caller and message after trace-cmd's `bprint: ` (from): a plain `name: ` only; an address, a syscall's shape or a site is JavaScript's. */
function callerAt(from: usize, e: usize, place: i32, retLayout: i32): bool {
  if (startsWith(from, e, '0x')) return false
  let j = from
  let h: u32 = 0
  while (j < e && isIdentChar(at(j))) {
    h = (h ^ <u32>at(j)) * 0x01000193
    j++
  }
  if (j == from || j == e || at(j) == 40 || at(j) == 32) return false
  return plainAt(from, j, h, e, place, retLayout, true)
}

@inline function isLowerHex(c: i32): bool { return isDigit(c) || (c >= 97 && c <= 102) }

/** Where a run of lowercase hex digits from i (before `to`) ends. */
function hexRun(i: usize, to: usize): usize {
  while (i < to && isLowerHex(at(i))) i++
  return i
}

/** The module decorationEnd read last, as input[modFrom, modTo) (modFrom 0: none). */
let modFrom: usize = 0
let modTo: usize = 0

/**
 * What follows a function's name in [from, to): sym-offset's `+0x4/0xa0` (and the module
 * after it, ` [overlay]`, for a module's function: modFrom, modTo), sym-addr's
 * ` <ffff..>`, both or neither (function.ts decoration). Where the offset ends (`from`
 * for none), or -1 for anything else.
 */
function decorationEnd(from: usize, to: usize): isize {
  let i = from
  modFrom = 0
  if (i < to && at(i) == 43) {
    if (i + 3 > to || at(i + 1) != 48 || at(i + 2) != 120) return -1
    let j = hexRun(i + 3, to)
    if (j == i + 3 || j + 3 > to || at(j) != 47 || at(j + 1) != 48 || at(j + 2) != 120) return -1
    i = hexRun(j + 3, to)
    if (i == j + 3) return -1
    const offsetEnd = i
    // ` [module]`: word characters and dashes (the parser's [\w-]+).
    if (i + 2 < to && at(i) == 32 && at(i + 1) == 91) {
      let k = i + 2
      while (k < to && (isIdentChar(at(k)) || at(k) == 45)) k++
      if (k == i + 2 || k >= to || at(k) != 93) return -1
      modFrom = i + 2
      modTo = k
      i = k + 1
    }
    return afterOffset(i, to, offsetEnd)
  }
  return afterOffset(i, to, i)
}

/** The rest of a decoration from i: nothing, or sym-addr's ` <ffff..>`; offsetEnd, or -1. */
function afterOffset(i: usize, to: usize, offsetEnd: usize): isize {
  if (i == to) return <isize>offsetEnd
  if (i + 2 > to || at(i) != 32 || at(i + 1) != 60) return -1
  const j = hexRun(i + 2, to)
  if (j == i + 2 || j + 1 != to || at(j) != 62) return -1
  return <isize>offsetEnd
}

/** Where a name from i ends: at a space, a `+` (sym-offset) or `to` (function.ts nameEnd). */
function nameEnd(i: usize, to: usize): usize {
  while (i < to && at(i) != 32 && at(i) != 43) i++
  return i
}

/**
 * A function tracer body input[body, e), `func <-parent` with sym-offset or sym-addr, as
 * function.ts reads it (isFunctionLine, functionShapeAt): the function's id in bName,
 * its parent's in bLayout, their offsets' in bFrom and bTo (-1: none). False for a line
 * JavaScript reads (an event, func-no-repeats' count, no parent).
 */
function functionAt(body: usize, e: usize): bool {
  let arrow: usize = 0
  for (let i = body; i + 1 < e; i++) {
    const c = at(i)
    if (c == 58 && at(i + 1) == 32) return false
    if (arrow == 0 && c == 32 && at(i + 1) == 60 && i + 2 < e && at(i + 2) == 45) arrow = i
  }
  if (arrow == 0 || at(e - 1) == 41) return false
  const funcEnd = nameEnd(body, arrow)
  if (funcEnd == body) return false
  modFrom = 0
  const offset = funcEnd == arrow ? <isize>funcEnd : decorationEnd(funcEnd, arrow)
  if (offset < 0) return false
  const module = modFrom == 0 ? NO_NAME : nameId(TASK, modFrom, modTo)
  const parent = arrow + 3
  const parentEnd = nameEnd(parent, e)
  if (parentEnd == parent) return false
  modFrom = 0
  const parentOffset = parentEnd == e ? <isize>parentEnd : decorationEnd(parentEnd, e)
  if (parentOffset < 0) return false
  bParentModule = modFrom == 0 ? NO_NAME : nameId(TASK, modFrom, modTo)
  bName = nameId(TASK, body, funcEnd)
  bLayout = nameId(TASK, parent, parentEnd)
  const from = <usize>offset > funcEnd ? nameId(TASK, funcEnd, <usize>offset) : NO_NAME
  const to = <usize>parentOffset > parentEnd ? nameId(TASK, parentEnd, <usize>parentOffset) : NO_NAME
  // A part the line has whose id the full table could not give (-1) leaves the line to JavaScript.
  if (bName < 0 || bLayout < 0 || from == -1 || to == -1 || module == -1 || bParentModule == -1) return false
  bFrom = <usize>(from == NO_NAME ? -1 : from)
  bTo = <usize>(to == NO_NAME ? -1 : to)
  bSite = module == NO_NAME ? -1 : module
  if (bParentModule == NO_NAME) bParentModule = -1
  bCount = 0
  return true
}

/** A part a function line does not have (its -1 column), told apart from a full name table's -1 while it is read. */
const NO_NAME: i32 = -3

/** The parent's module functionAt read (-1: none); the function's own goes in bSite. */
let bParentModule: i32 = -1

// The wakeup tracers' scheduler entries of a latency-format function scan (src/parse/layout.ts
// SCHED_*), SCHEDS at most per scan: SCHED_INTS i32 each, and its timestamp in schedTs.
const SCHEDS: i32 = SCHED_MAX
let schedBuf: usize = 0
let schedTs: usize = 0
let schedCount: i32 = 0
export function scheds(): usize { return schedBuf }
export function schedTimes(): usize { return schedTs }
export function schedsRead(): i32 { return schedCount }

/** The value of the digits schedDigits read last. */
let digits: i32 = 0

/** Where a run of 1 to 9 decimal digits from i ends (their value in `digits`), or 0 for none or more. */
function schedDigits(i: usize, e: usize): usize {
  let n = 0
  let j = i
  while (j < e && isDigit(at(j))) {
    if (j - i == 9) return 0
    n = n * 10 + at(j) - 48
    j++
  }
  digits = n
  return j == i ? 0 : j
}

/** Where ASCII whitespace from i ends. */
function spacesFrom(i: usize, e: usize): usize {
  while (i < e && isSpace(at(i))) i++
  return i
}

/** The last `PID:PRIO:S` schedTask read: pid, prio, the state's place. */
let sPid: i32 = 0
let sPrio: i32 = 0
let sState: usize = 0

/** `PID:PRIO:S` at i (the parser's `(\d+):\s*(\d+):(\S)`): where it ends, or 0 for none. */
function schedTask(i: usize, e: usize): usize {
  let j = schedDigits(i, e)
  if (j == 0 || j >= e || at(j) != 58) return 0
  const pid = digits
  j = schedDigits(spacesFrom(j + 1, e), e)
  if (j == 0 || j + 1 >= e || at(j) != 58) return 0
  if (isSpace(at(j + 1))) return 0
  sPid = pid
  sPrio = digits
  sState = j + 1
  return j + 2
}

/**
 * A wakeup tracer's scheduler entry input[body, e), `  0:120:R ==> [003]   312:100:R comm`
 * (`+` for a wakeup), as the parser's SCHED_ENTRY reads it, into the next place of
 * schedBuf; false for anything else, for a number past 9 digits, and when the buffer is
 * full. (The scanner reads ASCII text only, so JavaScript's `\s` is ASCII whitespace here.)
 */
function schedAt(body: usize, e: usize, row: i32, line: i32): bool {
  if (schedCount == SCHEDS) return false
  const from = spacesFrom(body, e)
  let i = schedTask(from, e)
  if (i == 0) return false
  const prevPid = sPid
  const prevPrio = sPrio
  const prevState = sState
  let j = spacesFrom(i, e)
  if (j == i || j >= e) return false
  let wakeup = 0
  if (at(j) == 43) {
    wakeup = 1
    i = j + 1
  } else if (startsWith(j, e, '==>')) i = j + 3
  else return false
  j = spacesFrom(i, e)
  if (j == i || j >= e || at(j) != 91) return false
  i = schedDigits(j + 1, e)
  if (i == 0 || i >= e || at(i) != 93) return false
  const nextCpu = digits
  j = spacesFrom(i + 1, e)
  if (j == i + 1) return false
  i = schedTask(j, e)
  if (i == 0) return false
  // Then nothing, or whitespace and the next task's comm, trimmed.
  let commFrom = spacesFrom(i, e)
  if (commFrom == i && i < e) return false
  let commTo = e
  while (commTo > commFrom && isSpace(at(commTo - 1))) commTo--
  const p = schedBuf + (<usize>(schedCount * SCHED_INTS) << 2)
  store<i32>(p + (<usize>SCHED_ROW << 2), row)
  store<i32>(p + (<usize>SCHED_LINE << 2), line)
  store<i32>(p + (<usize>SCHED_CPU << 2), pCpu)
  store<i32>(p + (<usize>SCHED_PID << 2), pPid)
  store<i32>(p + (<usize>SCHED_TGID << 2), pTgid)
  store<i32>(p + (<usize>SCHED_TASK << 2), pTask)
  store<i32>(p + (<usize>SCHED_FLAGS << 2), pFlags)
  store<i32>(p + (<usize>SCHED_WAKEUP << 2), wakeup)
  store<i32>(p + (<usize>SCHED_PREV_PID << 2), prevPid)
  store<i32>(p + (<usize>SCHED_PREV_PRIO << 2), prevPrio)
  store<i32>(p + (<usize>SCHED_PREV_STATE << 2), <i32>prevState)
  store<i32>(p + (<usize>SCHED_NEXT_CPU << 2), nextCpu)
  store<i32>(p + (<usize>SCHED_NEXT_PID << 2), sPid)
  store<i32>(p + (<usize>SCHED_NEXT_PRIO << 2), sPrio)
  store<i32>(p + (<usize>SCHED_NEXT_STATE << 2), <i32>sState)
  store<i32>(p + (<usize>SCHED_COMM_FROM << 2), <i32>commFrom)
  store<i32>(p + (<usize>SCHED_COMM_TO << 2), <i32>commTo)
  store<i32>(p + (<usize>SCHED_BODY_FROM << 2), <i32>from)
  store<i32>(p + (<usize>SCHED_BODY_TO << 2), <i32>e)
  store<f64>(schedTs + (<usize>schedCount << 3), pTs)
  schedCount++
  return true
}

// Stack blocks read with their owner: per block, i32s (row, user (1) or kernel (0), frame
// count, the frames' name ids), STACK_INTS in all at once.
const STACK_INTS: i32 = 1 << 16
let stackBuf: usize = 0
let stackUsed: i32 = 0
/** Lines the last scan read (rows, stack lines and frames), and its stack lines (entries of their own). */
let linesRead: i32 = 0
let stackLines: i32 = 0
export function stacks(): usize { return stackBuf }
export function stacksSize(): i32 { return stackUsed }
export function lines(): i32 { return linesRead }
export function stackEntries(): i32 { return stackLines }


/**
 * The stack block at p, when it belongs to `row`, the line just read on CPU `cpu`: a
 * `<stack trace>` or `<user stack trace>` line of that CPU and then ` => frame` lines,
 * each frame trimmed as the parser trims it. Where the line after the block starts, or
 * 0 to leave the block to JavaScript: another CPU's, an excluded pid's, one that reaches
 * the end of the input (the next text may go on with it), or one with an odd line in it
 * or after it (an empty line does not end a block).
 */
function stackBlock(p: usize, end: usize, cpu: i32, row: i32, excludePid: i32, launcherPid: i32): usize {
  const e = lineEnd(p, end)
  if (e >= end || e - p < 20 || !startsWith(e - 6, e, 'trace>')) return 0
  if (at(e - 1) == 13 || at(p) == 35 || !prefixAt(p, e) || pTask < 0 || pCpu != cpu || pPid == excludePid || pPid == launcherPid) return 0
  const body = pBody
  let user = 0
  if (e - body == 18 && startsWith(body, e, '<user stack trace>')) user = 1
  else if (!(e - body == 13 && startsWith(body, e, '<stack trace>'))) return 0
  const head = stackUsed
  if (head + 3 > STACK_INTS) return 0
  let count = 0
  let q = e + 1
  while (true) {
    const nl = lineEnd(q, end)
    if (nl >= end) return 0
    if (!(nl - q >= 4 && at(q) == 32 && at(q + 1) == 61 && at(q + 2) == 62 && at(q + 3) == 32)) {
      // The line after the block: the next one's, unless it is empty (the block would go on) or a carriage return's.
      if (nl == q || at(nl - 1) == 13) return 0
      break
    }
    let from = q + 4
    let to = nl
    if (at(to - 1) == 13) return 0
    while (from < to && isSpace(at(from))) from++
    while (to > from && isSpace(at(to - 1))) to--
    const id = nameId(TASK, from, to)
    if (id < 0 || head + 3 + count >= STACK_INTS) return 0
    store<i32>(stackBuf + (<usize>(head + 3 + count) << 2), id)
    count++
    q = nl + 1
  }
  store<i32>(stackBuf + (<usize>head << 2), row)
  store<i32>(stackBuf + (<usize>head << 2), user, 4)
  store<i32>(stackBuf + (<usize>head << 2), count, 8)
  stackUsed = head + 3 + count
  linesRead += 1 + count
  stackLines++
  return q
}

/**
 * Reads lines from input[from, to) (whole lines, each ending in \n) until one it leaves
 * to JavaScript, or the columns are full: events with the common prefix in any of its
 * forms (default, record-tgid, irq-info off, trace-cmd report's), whose body is a
 * syscall's, trace-cmd's syscall text, or key=value fields (tracepoints, probes). Rows
 * get the lines firstLine.., pool places poolBase..; exits take
 * the layout retLayout (`ret`); lines of the pids `excludePid` and `launcherPid` are
 * JavaScript's (it drops them). With `traceCmd`, a line not starting with a space may
 * carry an instance's name: JavaScript's. With `functions`, the bodies read are the
 * function tracer's instead (functionAt: a row's name is the function, its layout the
 * parent, bodyFrom and bodyTo the offsets). With `latency`, the prefix is
 * latency-format's. Returns the rows read; stoppedAt() is where
 * reading stopped (a line's start).
 */
export function scan(from: i32, to: i32, firstLine: i32, poolBase: i32, excludePid: i32, launcherPid: i32, retLayout: i32, traceCmd: bool, functions: bool, latency: bool): i32 {
  let rows = 0
  let used = 0
  let p = <usize>from
  const end = <usize>to
  linesRead = 0
  stackLines = 0
  stackUsed = 0
  schedCount = 0
  dropPid = excludePid
  dropLauncher = launcherPid
  while (p < end && rows < ROWS && used + MAX_KEYS <= POOL) {
    let line = p
    const nl = lineEnd(line, end)
    const e = nl
    if (e - line < 20 || at(e - 1) == 13 || at(line) == 35) break
    // trace-cmd prints the lines of an instance's buffer after the instance's name.
    if (traceCmd && at(line) != 32) {
      line = afterInstance(line, e)
      if (line == 0 || e - line < 20) break
    }
    pTask = 0
    let prefixed = latency ? latencyPrefixAt(line, e) : prefixAt(line, e)
    if (!prefixed && traceCmd && pTask >= 0) prefixed = traceCmdLatencyAt(line, e)
    if (!prefixed || pTask < 0) break
    if (pPid == excludePid || pPid == launcherPid) break
    if (functions ? !functionAt(pBody, e) : !bodyAt(pBody, e, used, retLayout)) {
      // The wakeup tracers print their scheduler entries among the functions they saw.
      if (!(functions && latency && schedAt(pBody, e, rows, firstLine + linesRead))) break
      linesRead++
      p = nl + 1
      continue
    }
    const row = rows
    store<i32>(cLine + (<usize>row << 2), firstLine + linesRead)
    store<i32>(cCpu + (<usize>row << 2), pCpu)
    store<i32>(cPid + (<usize>row << 2), pPid)
    store<i32>(cTgid + (<usize>row << 2), pTgid)
    store<i32>(cTask + (<usize>row << 2), pTask)
    store<i32>(cFlags + (<usize>row << 2), pFlags)
    store<i32>(cName + (<usize>row << 2), bName)
    store<f64>(cTs + (<usize>row << 3), pTs)
    store<i32>(cBodyFrom + (<usize>row << 2), <i32>bFrom)
    store<i32>(cBodyTo + (<usize>row << 2), <i32>bTo)
    store<i32>(cLayout + (<usize>row << 2), bLayout)
    store<i32>(cSite + (<usize>row << 2), bSite)
    store<i32>(cAt + (<usize>row << 2), functions ? bParentModule : poolBase + used)
    used += bCount
    rows++
    linesRead++
    p = nl + 1
    if (p < end && !latency) {
      const next = stackBlock(p, end, pCpu, row, excludePid, launcherPid)
      if (next != 0) p = next
    }
  }
  stopAt = <i32>p
  poolUsed = used
  return rows
}

// function_graph: ops of INTS i32 (op, line, cpu, depth, name id, proc id) and FLOATS f64
// (duration, timestamp), as src/parse/layout.ts defines them.
const INTS: i32 = GRAPH_INTS
const FLOATS: i32 = GRAPH_FLOATS
const GRAPH_OPS: i32 = 1 << 15
let gInts: usize = 0
let gFloats: usize = 0
/** The id JavaScript gave the empty name (a bare `}`). */
let emptyName: i32 = -1

/** Room for the graph ops (init makes it). */
function initGraph(): void {
  gInts = heap.alloc(<usize>GRAPH_OPS * INTS * 4)
  gFloats = heap.alloc(<usize>GRAPH_OPS * FLOATS * 8)
}
export function graphOps(): i32 { return GRAPH_OPS }
export function graphInts(): usize { return gInts }
export function graphFloats(): usize { return gFloats }

/** `123.456` in input[from, to) as the parser's parseDecimal reads it; NaN unless all of it. */
function decimal(from: usize, to: usize): f64 {
  let v: f64 = 0
  let i = from
  while (i < to && isDigit(at(i))) {
    v = v * 10 + <f64>(at(i) - 48)
    i++
  }
  if (i == from) return NaN
  if (i < to && at(i) == 46) {
    let scale: f64 = 1
    i++
    while (i < to && isDigit(at(i))) {
      v = v * 10 + <f64>(at(i) - 48)
      scale *= 10
      i++
    }
    v /= scale
  }
  return i == to ? v : NaN
}

/** A duration's mark (`+` >10us, `!` >100us, `#` >1ms, `*` >10ms, `@` >100ms, `$` >1s) at i, followed by a space. */
function isMarkAt(i: usize, e: usize): bool {
  const c = at(i)
  return (c == 43 || c == 33 || c == 35 || c == 42 || c == 64 || c == 36) && i + 1 < e && at(i + 1) == 32
}

/**
 * Reads function_graph lines from input[from, to) (whole lines, each ending in \n) into
 * at most `max` ops: ` 1) + 16.064 us   |    f() {` (entry), `f();` (leaf), `}` (exit),
 * with or without a duration, or without the duration column (` 1)   f();`), with the
 * abstime and proc columns, `} /* f *\/` exits (funcgraph-tail). Stops at any other line
 * (comments, banners, irq marks, a carriage return), which the reader's JavaScript reads. Returns the ops written; stoppedAt() is where reading stopped.
 */
export function scanGraph(from: i32, to: i32, firstLine: i32, max: i32): i32 {
  let ops = 0
  let p = <usize>from
  const end = <usize>to
  let lineNo = firstLine
  while (p < end && ops < max && ops < GRAPH_OPS) {
    const line = p
    const nl = lineEnd(line, end)
    let e = nl
    if (e > line && at(e - 1) == 13) break
    // Trailing spaces are not part of the call text.
    while (e > line && at(e - 1) == 32) e--
    let i = line
    while (i < e && at(i) == 32) i++
    // funcgraph-abstime: `  376.101459 |` before the CPU column.
    let ts: f64 = NaN
    let j = i
    while (j < e && isDigit(at(j))) j++
    if (j > i && j < e && at(j) == 46) {
      let k = j + 1
      while (k < e && isDigit(at(k))) k++
      let bar = k
      while (bar < e && at(bar) == 32) bar++
      if (bar < e && at(bar) == 124) {
        ts = decimal(i, k)
        i = bar + 1
        while (i < e && at(i) == 32) i++
      }
    }
    // ` 1) `: the CPU column (required here; other layouts go to JavaScript).
    const cpuFrom = i
    let cpu = 0
    while (i < e && isDigit(at(i))) {
      cpu = cpu * 10 + at(i) - 48
      i++
    }
    if (i == cpuFrom || i >= e || at(i) != 41) break
    i++
    const afterCpu = i
    while (i < e && at(i) == 32) i++
    if (i >= e) break
    let c = at(i)
    let duration: f64 = NaN
    let proc = -1
    // Where the call text's column starts, and the spaces before its first level.
    let text = i + 1
    let pad = 2
    if (c != 124 && !isDigit(c) && !(isMarkAt(i, e))) {
      const bar = findByte(i, e, 124)
      if (bar == e) {
        // funcgraph-duration off: ` 1) vfs_write() {`, the call one space after the CPU column.
        text = afterCpu
        pad = 1
      } else {
        // funcgraph-proc: `  ls-99    |`, centred; then the duration column, which must be there.
        if (startsWith(i, e, '==========>') || startsWith(i, e, '<==========') || at(bar - 1) != 32) break
        let procTo = bar - 1
        while (procTo > i && isSpace(at(procTo - 1))) procTo--
        proc = nameId(TASK, i, procTo)
        if (proc < 0) break
        i = bar + 1
        while (i < e && at(i) == 32) i++
        if (i >= e) break
        c = at(i)
        if (c != 124 && !isDigit(c) && !isMarkAt(i, e)) break
        text = i + 1
      }
    }
    if (pad == 2 && c != 124) {
      // `+ 16.064 us  |` or `1.973 us  |`: a mark, then the duration.
      if (!isDigit(c)) {
        i++
        while (i < e && at(i) == 32) i++
      }
      const dFrom = i
      let us = i
      const limit = i + 24 < e ? i + 24 : e
      while (us + 3 <= limit && !(at(us) == 32 && at(us + 1) == 117 && at(us + 2) == 115)) us++
      if (us + 3 > limit) break
      duration = decimal(dFrom, us)
      if (isNaN(duration)) break
      i = us + 3
      while (i < e && at(i) == 32) i++
      if (i >= e || at(i) != 124) break
      text = i + 1
    }
    // The call text, indented two spaces a level.
    let start = text
    while (start < e && at(start) == 32) start++
    if (start >= e) break
    let depth = <i32>(start - text) - pad
    depth = depth > 0 ? depth >> 1 : 0
    c = at(start)
    let op = 0
    let name = -1
    if (c == 125) {
      op = OP_EXIT
      if (start + 1 == e) {
        if (emptyName < 0) emptyName = intern(TASK, start, start)
        name = emptyName
      } else {
        // funcgraph-tail: `} /* f */`, or `} /* f = 0x0 */` with funcgraph-retval: the first word.
        if (e < start + 8 || !startsWith(start + 1, e, ' /* ') || !startsWith(e - 3, e, ' */')) break
        let word = start + 5
        while (word < e - 3 && at(word) != 32) word++
        name = nameId(TASK, start + 5, word)
        if (name < 0) break
      }
    } else {
      if (c == 47) break
      // The first `()`, from one `(` to the next.
      let call = findByte(start, e, 40)
      while (call + 1 < e && at(call + 1) != 41) call = findByte(call + 1, e, 40)
      if (call + 1 >= e) break
      if (call + 2 < e && at(call + 2) == 59) op = OP_LEAF
      else if (call + 3 < e && at(call + 2) == 32 && at(call + 3) == 123) op = OP_ENTRY
      else break
      name = nameId(TASK, start, call)
      if (name < 0) break
    }
    const ints = gInts + (<usize>ops * INTS << 2)
    store<i32>(ints, op)
    store<i32>(ints, lineNo, 4)
    store<i32>(ints, cpu, 8)
    store<i32>(ints, depth, 12)
    store<i32>(ints, name, 16)
    store<i32>(ints, proc, 20)
    const floats = gFloats + (<usize>ops * FLOATS << 3)
    store<f64>(floats, duration)
    store<f64>(floats, ts, 8)
    ops++
    lineNo++
    p = nl + 1
  }
  stopAt = <i32>p
  return ops
}
