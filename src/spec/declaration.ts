import { z } from 'zod'
import { DeclarationError } from '../errors.js'
import { eventName, functionGlob, functionTrigger, keyedRecord } from './name-schemas.js'
import { probeSchema } from './probes.js'
import { expressionProblem } from './syntax.js'

/** A filter's or trigger's text, checked for what the event's file can hold. */
const expression = (what: string) => (s: string, ctx: z.RefinementCtx) => {
  const problem = expressionProblem(s)
  if (problem) ctx.addIssue({ code: 'custom', message: `the ${what} ${JSON.stringify(s)} cannot be written as it is: ${problem}` })
}

const eventSpec = z.union([
  eventName,
  z.strictObject({
    name: eventName,
    /** An event filter, as written to `events/<sys>/<event>/filter`: `prev_pid == 1 && next_comm ~ "ls*"`. */
    filter: z.string().min(1).superRefine(expression('filter')).optional(),
    /** Triggers, as written to the event's `trigger` file: `stacktrace`, `traceoff:1`, `hist:keys=pid`. */
    triggers: z.array(z.string().regex(/^(stacktrace|traceon|traceoff|snapshot|enable_event|disable_event|enable_hist|disable_hist|hist)\b/, 'a trigger is stacktrace, traceon, traceoff, snapshot, enable_event:…, disable_event:…, enable_hist:…, disable_hist:… or hist:…').superRefine(expression('trigger'))).optional(),
  }),
])

/** A kernel module's name as modprobe takes it (`null_blk`, `snd-hda-intel`). */
const moduleName = z.string().regex(/^[A-Za-z0-9_-]{1,55}$/, 'a module name (as modprobe and /proc/modules have it) is letters, digits, _ and -, e.g. "null_blk"')

/** Module parameters, as `modprobe name key=value` takes them. */
const moduleParams = keyedRecord(
  z.union([z.number(), z.boolean(), z.string().regex(/^[^\s\x00-\x1f\x7f"]*$/, 'a module parameter\'s value holds no whitespace, quotes or control characters')]),
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  'a module parameter name is a C identifier, as modinfo lists them',
).default({})

/** A path on this machine (a module's source folder or built file): relative to the working directory. */
const hostPath = z.string().min(1).regex(/^[^\x00-\x1f\x7f]+$/, 'a path holds no control characters')

/**
 * A module to load before the trace is armed and unload after the test: the kernel's own
 * by name (`'null_blk'`, or `{ name, params }`), an out-of-tree module's source folder that
 * kspec builds against the kernel under test (`{ source: 'drivers/mine', params }`), or a
 * module file you built (`{ file: 'drivers/mine/mine.ko' }`).
 */
const moduleSpec = z.union([
  moduleName.transform((name) => ({ name, params: {} as Record<string, string | number | boolean> })),
  z.strictObject({ name: moduleName, params: moduleParams }),
  z.strictObject({ source: hostPath, params: moduleParams }),
  z.strictObject({ file: hostPath.regex(/\.ko$/, 'a module file ends in .ko'), params: moduleParams }),
])

const sizeKb = z.number().int().min(1, 'bufferSizeKb is at least 1').max(1 << 22, 'bufferSizeKb above 4 GiB is not a buffer size a kernel will take')

export const traceSchema = z
  .strictObject({
    tracer: z.enum(['nop', 'function', 'function_graph']).default('nop'),
    /** set_ftrace_filter: functions (globs, `:mod:`) the function tracers record. */
    functions: z.array(functionGlob).default([]),
    /** set_ftrace_notrace */
    notrace: z.array(functionGlob).default([]),
    /** set_graph_function: the roots function_graph follows. */
    graphFunctions: z.array(functionGlob).default([]),
    /** set_graph_notrace */
    graphNotrace: z.array(functionGlob).default([]),
    /** max_graph_depth (0: unlimited). */
    maxGraphDepth: z.number().int().min(0).max(100).optional(),
    /**
     * Function triggers, as set_ftrace_filter takes them (`schedule:traceoff`,
     * `kernel_clone:stacktrace:5`, `do_exit:enable_event:sched:sched_switch`): a command run
     * whenever the function is hit, by any task, whatever the tracer. Set once the workload
     * is forked, so kspec's own launching does not fire them; the kernel's list of them is on
     * `trace.state.functionTriggers`.
     */
    functionTriggers: z.array(functionTrigger).default([]),
    /**
     * The snapshot buffer (`snapshot`): allocated and emptied before each run, read and
     * parsed after it onto `trace.state.snapshot`. What fills it: a `snapshot` trigger (event
     * or function; those read it without this), or the workload (`echo 1 > "$KSPEC_INSTANCE/snapshot"`).
     */
    snapshot: z.boolean().default(false),
    /** options/func_stack_trace: a kernel stack under every function tracer hit. */
    funcStackTrace: z.boolean().default(false),
    /**
     * The stack tracer: the deepest kernel stack while the workload runs, on
     * `trace.state.stack` (`stack_max_size`, `stack_trace`). It watches every task on the
     * machine, not only the workload; `{ functions }` limits it to stacks through those
     * functions' calls (stack_trace_filter). One test at a time uses it (a lock).
     * @example defineTrace({ events: ['syscalls:sys_enter_read'], stackTracer: { functions: ['vfs_read'] } })
     */
    stackTracer: z.union([z.boolean(), z.strictObject({ functions: z.array(functionGlob).min(1, 'name at least one function, or write stackTracer: true') })]).default(false),
    /** options/stacktrace: a kernel stack under every event. */
    stacktrace: z.boolean().default(false),
    /** Any other trace option by its file name under options/ (`record-tgid`, `sym-offset`). */
    options: keyedRecord(z.boolean(), /^[A-Za-z0-9_-]+$/, 'an option name may hold only letters, digits, _ and -, as the files under options/ do').default({}),
    events: z.array(eventSpec).default([]),
    /**
     * Kernel modules loaded (modprobe, dependencies first) before anything is armed, so
     * filters and probes on their functions resolve, and unloaded after the test, also when it fails.
     */
    modules: z.array(moduleSpec).default([]),
    kprobes: z.array(probeSchema.refine((p) => p.type === 'kprobe' || p.type === 'kretprobe', 'use kprobe() or kretprobe() here')).default([]),
    uprobes: z.array(probeSchema.refine((p) => p.type === 'uprobe' || p.type === 'uretprobe', 'use uprobe() or uretprobe() here')).default([]),
    /**
     * The dynamic-event group of the declaration's probes (`mygrp`: events `mygrp:open`), for
     * triggers and filters that name them; kspec's own `kspec_<pid>_<n>` otherwise. Its names
     * are the machine's: tests with the same group take turns.
     */
    probeGroup: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a probe group is a C identifier of at most 64 characters, e.g. mydrv')
      .refine((g) => !g.startsWith('kspec_'), 'probe groups kspec_* are kspec\'s own (kspec_<pid>_<n>, removed after a crash by pid): choose another name')
      .optional(),
    /** fprobes and tprobes (dynamic_events' `f:` and `t:`), recorded like any event: fprobe(), fretprobe(), tprobe(). */
    fprobes: z.array(probeSchema.refine((p) => p.type === 'fprobe' || p.type === 'fretprobe' || p.type === 'tprobe', 'use fprobe(), fretprobe() or tprobe() here')).default([]),
    /**
     * Synthetic events, as `synthetic_events` takes them (`wakeup_latency u64 lat; pid_t pid`):
     * defined before the events are armed, so hist triggers' `onmatch(…).wakeup_latency(…)`
     * actions can fire them and `synthetic:wakeup_latency` can be declared in `events` (with
     * a hist trigger of its own); removed after the test. Their names are the machine's: two
     * tests at once cannot define the same one.
     */
    syntheticEvents: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\s+[A-Za-z_][A-Za-z0-9_ ;[\]]*)?$/, 'write a synthetic event as synthetic_events takes it: NAME then its fields, e.g. "wakeup_latency u64 lat; pid_t pid; char comm[16]"'))
      .default([]),
    /** Events made from other events' fields (dynamic_events' `e:`), recorded like any event. */
    eprobes: z.array(probeSchema.refine((p) => p.type === 'eprobe', 'use eprobe() here')).default([]),
    bufferSizeKb: sizeKb.optional(),
    clock: z.enum(['local', 'global', 'counter', 'uptime', 'perf', 'mono', 'mono_raw', 'boot', 'tai', 'x86-tsc']).optional(),
    /**
     * `workload`: the workload's process tree; `process`: the workload's own process, not
     * what it starts; `{ pids }`: those processes (already running: a daemon), not their
     * children, while the workload runs; `system`: everything on the machine; `{ except }`:
     * everything on the machine but the workload's process tree (`'workload'`), its own
     * process (`'process'`: its children are traced), or those processes (`[pids]`), through
     * set_event_notrace_pid and set_ftrace_notrace_pid (Linux 5.8+).
     */
    scope: z
      .union([
        z.enum(['workload', 'process', 'system']),
        z.strictObject({ pids: z.array(z.number().int().positive()).min(1, 'name at least one pid') }),
        z.strictObject({ except: z.union([z.enum(['workload', 'process']), z.array(z.number().int().positive()).min(1, 'name at least one pid')]) }),
      ])
      .default('workload'),
    /** Read trace_pipe while the workload runs, so a long workload cannot overflow the buffer. */
    stream: z.boolean().default(false),
    /**
     * false: tracing is off when the workload starts, and the workload turns it on where
     * its step of interest begins (`echo 1 > "$KSPEC_INSTANCE/tracing_on"`, or
     * `tracing(true)` in a function workload).
     */
    startTracing: z.boolean().default(true),
    /** Accept a trace that lost events instead of failing the test as incomplete. */
    allowLoss: z.boolean().default(false),
  })
  .superRefine((d, ctx) => {
    if (d.tracer !== 'function_graph' && (d.graphFunctions.length || d.graphNotrace.length || d.maxGraphDepth !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tracer'], message: `graphFunctions, graphNotrace and maxGraphDepth need tracer: 'function_graph' (got '${d.tracer}')` })
    }
    if (d.funcStackTrace && d.tracer !== 'function') {
      ctx.addIssue({ code: 'custom', path: ['funcStackTrace'], message: `funcStackTrace needs tracer: 'function' (got '${d.tracer}'); for stacks under events use stacktrace: true` })
    }
    if (d.tracer === 'nop' && (d.functions.length || d.notrace.length)) {
      ctx.addIssue({ code: 'custom', path: ['functions'], message: "functions and notrace filter the function tracers: set tracer: 'function' or 'function_graph'" })
    }
    // The workload scope follows the workload from the spawner's fork with these options on:
    // a user's explicit `false` would be silently overridden, so it is a conflict to resolve.
    for (const option of ['event-fork', 'function-fork']) {
      if (followsChildren(d.scope) && d.options[option] === false) {
        ctx.addIssue({ code: 'custom', path: ['options', option], message: `${option}: false conflicts with scope: ${JSON.stringify(d.scope)}, which follows the workload's process tree by turning ${option} on; drop the option, or set scope: 'system' to choose it yourself` })
      }
      // The other way round for the scopes of single processes, which turn them off.
      if (!followsChildren(d.scope) && d.scope !== 'system' && d.options[option] === true) {
        ctx.addIssue({ code: 'custom', path: ['options', option], message: `${option}: true conflicts with scope: ${JSON.stringify(d.scope)}, which names processes without their children by turning ${option} off; drop the option, or use scope: 'workload' (or { except: 'workload' }) for the whole tree` })
      }
    }
    const names = [...d.kprobes, ...d.uprobes, ...d.eprobes, ...d.fprobes].map((p) => p.name)
    if (d.probeGroup !== undefined && names.length === 0) ctx.addIssue({ code: 'custom', path: ['probeGroup'], message: 'probeGroup names the group of the declaration\'s probes, and it has none: add kprobes, uprobes, eprobes or fprobes, or drop probeGroup' })
    const dup = names.find((n, i) => names.indexOf(n) !== i)
    if (dup) ctx.addIssue({ code: 'custom', path: ['kprobes'], message: `two probes are named "${dup}": give each a unique name` })
    if (d.tracer === 'nop' && d.events.length === 0 && d.kprobes.length === 0 && d.uprobes.length === 0 && d.eprobes.length === 0 && d.fprobes.length === 0 && !d.stackTracer && d.functionTriggers.length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'this declaration records nothing: choose a tracer, events, kprobes, uprobes, eprobes, fprobes, function triggers or the stack tracer' })
    }
  })

/** Scopes that follow the workload's children (event-fork and function-fork on): its tree traced, or its tree left out. */
function followsChildren(scope: unknown): boolean {
  return scope === 'workload' || (typeof scope === 'object' && scope !== null && (scope as { except?: unknown }).except === 'workload')
}

export type TraceInput = z.input<typeof traceSchema>
export type TraceDeclaration = z.output<typeof traceSchema> & { readonly id: string }

let declarations = 0

/**
 * Declares what to record. A bad declaration throws when the spec file loads, listing
 * every problem with its path.
 * @example const openat = defineTrace({ tracer: 'function_graph', graphFunctions: ['__x64_sys_openat'], maxGraphDepth: 3 })
 */
export function defineTrace(input: TraceInput): TraceDeclaration {
  const r = traceSchema.safeParse(input)
  if (!r.success) {
    throw new DeclarationError(`defineTrace(): ${r.error.issues.length === 1 ? 'a problem' : `${r.error.issues.length} problems`} in the declaration\n${z.prettifyError(r.error)}`)
  }
  // Not enumerable: `defineTrace({ ...other, allowLoss: true })` derives a new declaration.
  const decl = deepFreeze(Object.defineProperty({ ...r.data }, 'id', { value: `d${++declarations}`, enumerable: false })) as TraceDeclaration
  validated().add(decl)
  return decl
}

/**
 * Declarations defineTrace() checked, shared by every copy of this module in the process
 * (a spec may load kspec twice): what reaches tracefs has passed the schema, and cannot
 * change afterwards (frozen all the way down).
 */
const validated = (): WeakSet<object> => ((globalThis as Record<symbol, WeakSet<object>>)[Symbol.for('kspec.declarations')] ??= new WeakSet())

/** Registers a declaration derived from a checked one (same fields, another buffer size). */
export function deriveDeclaration(from: TraceDeclaration, change: Partial<TraceInput>): TraceDeclaration {
  const decl = deepFreeze(Object.defineProperty({ ...from, ...change }, 'id', { value: from.id, enumerable: false })) as TraceDeclaration
  validated().add(decl)
  return decl
}

/** Refuses anything but a declaration made by defineTrace(), saying how to make one. */
export function assertDeclaration(decl: unknown, where: string): asserts decl is TraceDeclaration {
  if (typeof decl === 'object' && decl !== null && validated().has(decl)) return
  const got = decl === null ? 'null' : Array.isArray(decl) ? 'an array' : typeof decl === 'object' ? 'a plain object' : typeof decl
  throw new DeclarationError(`${where}: the declaration must come from defineTrace() (got ${got}); write const decl = defineTrace({ events: [...] }) and pass decl`)
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}

/** Whether a recording reads its snapshot buffer: asked for, or a snapshot trigger (or a hist trigger's `.snapshot()` action) fills it. */
export const readsSnapshot = (d: TraceDeclaration): boolean =>
  d.snapshot ||
  d.functionTriggers.some((t) => t.split(':')[1] === 'snapshot') ||
  d.events.some((e) => typeof e !== 'string' && (e.triggers ?? []).some((t) => /^snapshot\b/.test(t) || /^hist\b.*\.snapshot\(\)/.test(t)))

/** The event names of a declaration, as `system:event` strings. */
export const eventNames = (d: TraceDeclaration): string[] => d.events.map((e) => (typeof e === 'string' ? e : e.name))
