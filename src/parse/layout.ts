/**
 * What the WebAssembly scanner (asm/scan.ts) and the JavaScript that reads its output
 * share, defined once: both import this file (AssemblyScript compiles it too, so it holds
 * integer constants and nothing else). Changing a number here changes both sides.
 */

/** The scanner's memory regions, by the number `column(k)` takes. */
export const COL_LINE = 0
export const COL_CPU = 1
export const COL_PID = 2
export const COL_TASK = 3
export const COL_FLAGS = 4
export const COL_NAME = 5
export const COL_TS = 6
export const COL_BODY_FROM = 7
export const COL_BODY_TO = 8
export const COL_LAYOUT = 9
export const COL_AT = 10
export const COL_POOL = 11
export const COL_KEYS = 13
export const COL_TGID = 14
export const COL_SITE = 15
export const COL_KINDS = 16

/**
 * What a pool place holds (EventTable.kinds): a number, or a string as a span of the row's
 * chunk. The event table's own VALUE and SPAN (src/trace/events.ts, a layer this file's
 * AssemblyScript cannot import); test/parse/scanner.test.ts holds them equal.
 */
export const POOL_VALUE = 0
export const POOL_SPAN = 1
/** A whole number too long for an exact float (`0xffffffc97fed2f68`), as a span: a bigint (or number) when the fields are made. */
export const POOL_WIDE = 2

/**
 * Kinds of names the scanner asks its host to intern: tasks and flags, syscall entries,
 * syscall exits, other events by their printed name (`sched_switch`, trace-cmd's
 * `sys_enter_openat`), probe sites (`do_sys_openat2+0x0/0x170`).
 */
export const NAME_TASK = 0
export const NAME_ENTER = 1
export const NAME_EXIT = 2
export const NAME_PLAIN = 3
export const NAME_SITE = 4

/**
 * function_graph ops, as the scanner writes them and the graph reader sends them: per
 * op, GRAPH_INTS int32 (op, line, cpu (-1: none), depth, name id, proc id (-1: none))
 * and GRAPH_FLOATS float64 (duration, timestamp (NaN: none)). OP_TEXT is the reader's
 * own: a line it sends as text.
 */
export const OP_TEXT = 0
export const OP_ENTRY = 1
export const OP_LEAF = 2
export const OP_EXIT = 3
export const GRAPH_INTS = 6
export const GRAPH_FLOATS = 2

/**
 * The wakeup tracers' scheduler entries (`0:120:R ==> [003]   312:100:R kworker/3:1H`),
 * which a latency-format function scan reads beside its rows: per entry SCHED_INTS int32
 * at these places (places in the chunk for the states, the comm and the body; comm from
 * = to: none) and its timestamp as one float64.
 */
export const SCHED_ROW = 0
export const SCHED_LINE = 1
export const SCHED_CPU = 2
export const SCHED_PID = 3
export const SCHED_TGID = 4
export const SCHED_TASK = 5
export const SCHED_FLAGS = 6
export const SCHED_WAKEUP = 7
export const SCHED_PREV_PID = 8
export const SCHED_PREV_PRIO = 9
export const SCHED_PREV_STATE = 10
export const SCHED_NEXT_CPU = 11
export const SCHED_NEXT_PID = 12
export const SCHED_NEXT_PRIO = 13
export const SCHED_NEXT_STATE = 14
export const SCHED_COMM_FROM = 15
export const SCHED_COMM_TO = 16
export const SCHED_BODY_FROM = 17
export const SCHED_BODY_TO = 18
export const SCHED_INTS = 19
/** Entries a scan reads at most. */
export const SCHED_MAX = 1 << 12
