import { readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TraceFileError, TracefsError, UnsupportedError, WorkloadTimeoutError } from '../errors.js'
import { checkedDir, KEPT, privateDir } from '../tempdir.js'
import { parseHist } from '../parse/hist.js'
import type { DeepestStack, TracingState } from '../trace/state.js'
import type { BackgroundPolicy, PreparedJob, Spawner, Target, WorkloadResult } from '../kernel/target.js'
import { TraceParser } from '../parse/parser.js'
import { parseFormat } from '../parse/format.js'
import type { Trace } from '../trace/trace.js'
import { armTriggers, listedFunctionTriggers, startStackTracer, stopStackTracer, type Arming } from './arm.js'
import { readsSnapshot, type TraceDeclaration } from '../spec/declaration.js'
import { tracefsWrite } from './explain.js'

/**
 * What a function workload gets: `mark(text)` writes a trace_marker line, to fence a step;
 * `tracing(on)` turns this recording's tracing on or off; `enable(event, on)` an event
 * (`sched:sched_switch`) or a whole subsystem (`sched`) of it. A command workload does the
 * same through the files under `$KSPEC_INSTANCE` (its recording's instance folder).
 */
export interface WorkloadContext {
  mark(text: string): Promise<void>
  tracing(on: boolean): Promise<void>
  enable(event: string, on: boolean): Promise<void>
}

const EVENT_OR_SYSTEM = /^[A-Za-z0-9_]+(:[A-Za-z0-9_]+)?$/

/** A workload's control of its own recording (function workloads; commands write the files). */
function control(t: Target, a: Arming): WorkloadContext {
  return {
    mark: (text) => tracefsWrite(t, `${a.dir}trace_marker`, text),
    tracing: (on) => tracefsWrite(t, `${a.dir}tracing_on`, on ? '1' : '0'),
    enable: async (event, on) => {
      if (typeof event !== 'string' || !EVENT_OR_SYSTEM.test(event)) throw new TypeError(`enable(${JSON.stringify(event)}): name an event as system:event ('sched:sched_switch') or a subsystem ('sched')`)
      return tracefsWrite(t, `${a.dir}events/${event.replace(':', '/')}/enable`, on ? '1' : '0', { errorLog: a.dir })
    },
  }
}

/**
 * A shell command (`'ls -hl'`), an argv array (`['ls', '-hl']`), or an async function run
 * in this process (host only), whose threads and children are the traced scope.
 */
export type Workload = string | string[] | ((ctx: WorkloadContext) => unknown)

/**
 * Refuses a workload that cannot be run as written: not a command, an argv, or a function;
 * an empty argv; a NUL byte (argv goes to the spawner NUL-separated, and a C string ends
 * there, so the command run would silently differ from the one asked for).
 */
export function checkWorkload(workload: unknown): asserts workload is Workload {
  const usage = 'the workload is a shell command string, an argv array of strings or an async function'
  if (typeof workload === 'function') return
  if (typeof workload === 'string') {
    if (workload.trim() === '') throw new TypeError(`record(decl, workload): the shell command is empty; ${usage}`)
    if (workload.includes('\0')) throw new TypeError(`record(decl, workload): the shell command ${JSON.stringify(workload)} holds a NUL byte, which no command line can: remove it`)
    return
  }
  if (!Array.isArray(workload)) throw new TypeError(`record(decl, workload): got ${workload === null ? 'null' : typeof workload}; ${usage}`)
  if (workload.length === 0) throw new TypeError(`record(decl, workload): the argv array is empty; name the program first, e.g. ['cat', '/etc/hostname']`)
  workload.forEach((a, i) => {
    if (typeof a !== 'string') throw new TypeError(`record(decl, workload): argv[${i}] is ${a === null ? 'null' : typeof a}, not a string; ${usage}`)
    if (a.includes('\0')) throw new TypeError(`record(decl, workload): argv[${i}] ${JSON.stringify(a)} holds a NUL byte, which no argument can (it would be split in two): remove it`)
  })
  if (workload[0] === '') throw new TypeError("record(decl, workload): argv[0] is empty; name the program to run, e.g. ['cat', '/etc/hostname']")
}

/** A Trace recorded by kspec, with what produced it: the workload's result, the declaration, the event formats. */
export interface RecordedTrace extends Trace {
  /** The command's result; absent for a function workload. */
  workload?: WorkloadResult
  /** The `format` files of the traced events, by `system_event`, as the target printed them. */
  formats: Record<string, string>
  declaration: TraceDeclaration
}

export const workloadKind = (w: Workload): 'fn' | 'cmd' => (typeof w === 'function' ? 'fn' : 'cmd')

export interface RunOptions {
  timeoutMs: number
  /** Where the raw trace is saved; its path becomes trace.source. */
  savePath: string
  /** Where an arming's spawner comes from on its first command workload (default: a new one). */
  spawner?: () => Promise<Spawner>
  /** What the workload leaves running when it ends: killed (default) or waited for. */
  background?: BackgroundPolicy
  /** Aborted when the recorder closes (SIGINT, SIGTERM, the parent gone): reading trace_pipe stops at once. */
  cancel?: AbortSignal
}

let traceFolder: Promise<string> | undefined

/**
 * Where this process saves recorded traces: a private folder of its own (mode 0700, made
 * by mkdtemp), or KSPEC_TRACE_DIR once checked to be the user's own directory.
 */
export function ensureTraceDir(): Promise<string> {
  traceFolder ??= process.env.KSPEC_TRACE_DIR === undefined ? privateDir('traces') : checkedDir(process.env.KSPEC_TRACE_DIR, 'KSPEC_TRACE_DIR')
  traceFolder.catch(() => (traceFolder = undefined))
  return traceFolder
}

/** Marks this process's trace folder as a normal run's output, kept until the next run records. */
export async function keepTraceDir(): Promise<void> {
  const dir = traceFolder && process.env.KSPEC_TRACE_DIR === undefined ? await traceFolder.catch(() => undefined) : undefined
  if (dir) await writeFile(join(dir, KEPT), '').catch(() => {})
}

/** Removes this process's private trace folder, if it made one (never KSPEC_TRACE_DIR). */
export async function removeTraceDir(): Promise<void> {
  if (!traceFolder || process.env.KSPEC_TRACE_DIR !== undefined) return
  const dir = await traceFolder.catch(() => undefined)
  traceFolder = undefined
  if (dir) await rm(dir, { recursive: true, force: true })
}

/**
 * One recording on an armed instance. The first run scopes tracing to the spawner's pid
 * (or this process's threads, for a function workload) with event-fork, once: every
 * workload it forks is traced from birth. Each run then only starts tracing, passes a
 * trace_marker barrier, runs the workload, stops, and drains trace_pipe — consuming
 * reads leave the buffer empty for the next run, so nothing needs clearing.
 */
export async function runArmed(t: Target, a: Arming, workload: Workload, opts: RunOptions): Promise<RecordedTrace> {
  if (typeof workload === 'function' && !t.capabilities.functionWorkloads) {
    throw new UnsupportedError(`a function workload runs in kspec's own process, so it traces the host only (this test runs on ${t.name}); pass a command to run it in the guest: record(decl, 'cmd args')`)
  }
  await scope(t, a, workload, opts.spawner ?? (() => t.spawner()))
  const w = (file: string, data: string) => tracefsWrite(t, a.dir + file, data)
  // A fresh instance's counters start at zero; after a run they are remembered on the arming.
  const before = a.overrun ?? (a.dir ? 0 : await overruns(t, a))
  await drain(t, a, opts.cancel)
  // Forked and stopped before exec while tracing is still off: kspec's own launching
  // (fork, files, cgroup) fires no trigger and leaves no record.
  // A command marks its steps by writing to the file $KSPEC_TRACE_MARKER names (this
  // recording's trace_marker), and controls its recording through the files under $KSPEC_INSTANCE.
  const env = { KSPEC_TRACE_MARKER: await t.tracefsPath(`${a.dir}trace_marker`), KSPEC_INSTANCE: await t.tracefsPath(a.dir) }
  let job: PreparedJob | undefined = typeof workload === 'function' ? undefined : await a.spawner!.prepare(typeof workload === 'string' ? { shell: workload, env } : { argv: workload, env }, opts.timeoutMs, opts.background)
  if (job && perRunPid(a.decl.scope)) await scopeToProcess(t, a, job.pid).catch(async (e) => {
    await job!.cancel()
    throw e
  })
  a.stopped = false
  let result: WorkloadResult | undefined
  let tracingOn = true
  let stack: DeepestStack | undefined
  const collected: Buffer[] = []
  let streaming: Promise<void> | undefined
  const stop = new AbortController()
  try {
    // This run's snapshot only: allocated (a trigger allocates its own) and empty.
    if (a.decl.snapshot) await w('snapshot', '2')
    await w('tracing_on', '1')
    await barrier(t, a)
    // Started off: the workload turns it on where its step begins.
    if (!a.decl.startTracing) await w('tracing_on', '0')
    // The workload is forked and tracing has begun: triggers set now neither fire on kspec's
    // launching nor stop tracing before the barrier passed (`schedule:traceoff` fires at once).
    await armTriggers(t, a)
    // The deepest stack of this run only, from here to the workload's end.
    if (a.decl.stackTracer) await startStackTracer(t, a)
    if (a.decl.stream) streaming = (async () => {
      for await (const chunk of t.stream(`${a.dir}trace_pipe`, stop.signal)) {
        collected.push(chunk)
        if (opts.cancel?.aborted) break
      }
    })()
    if (typeof workload === 'function') await workload(control(t, a))
    else {
      const started = job!
      job = undefined
      result = await started.start()
    }
  } finally {
    // Held (a.stack) once startStackTracer took the lock, even if it failed after.
    if (a.stack) stack = await stopStackTracer(t, a)
    // Tracing failed to start (the barrier): the workload never runs.
    await job?.cancel()
    // Whether a traceoff trigger turned it off during the run: read before kspec does.
    tracingOn = (await t.read(`${a.dir}tracing_on`).catch(() => '1')).trim() !== '0'
    await w('tracing_on', '0')
    a.stopped = true
    stop.abort()
    await streaming
  }
  collected.push(...(await drain(t, a, opts.cancel)))
  if (opts.cancel?.aborted) throw new Error('the recording was cancelled: kspec is shutting down (a signal, or its parent process is gone)')
  const header = `# tracer: ${a.decl.tracer}\n# kspec: read from ${a.dir}trace_pipe\n${a.spawner ? `# kspec: spawner pid ${a.spawner.pid} (its records are not the workload's)\n# kspec: launcher pid ${a.spawner.launcher} (it starts each job; its records are not the workload's)\n` : ''}`
  const text = Buffer.concat([Buffer.from(header), ...collected])
  const after = overruns(t, a)
  const [{ parser, formats }] = await Promise.all([parserFor(t, a, opts.savePath), writeFile(opts.savePath, text, { flag: 'wx', mode: 0o600 }), after])
  await parser.read([text])
  const trace: RecordedTrace = Object.assign(parser.finish(), { formats, declaration: a.decl, workload: result })
  trace.kernel = await t.release()
  trace.state = { tracingOn, histograms: await histograms(t, a), probes: await probeDefinitions(t, a) }
  if (stack) trace.state.stack = stack
  if (readsSnapshot(a.decl)) trace.state.snapshot = await readSnapshot(t, a, opts.savePath)
  if (a.decl.functionTriggers.length > 0) trace.state.functionTriggers = listedFunctionTriggers(await t.read(`${a.dir}set_ftrace_filter`))
  a.overrun = await after
  trace.loss.overwritten += Math.max(0, a.overrun - before - trace.loss.lostEvents)
  if (result?.exitCode === 127 && /^kspec: cannot run |: not found$|command not found/m.test(result.stderr)) {
    throw new Error(`the workload ${JSON.stringify(workload)} could not start on ${t.name}: ${result.stderr.trim()}. Check the command exists there${t.capabilities.programs ? ` (${t.capabilities.programs})` : ''}.`)
  }
  if (result?.timedOut) {
    throw new WorkloadTimeoutError(`the workload ${JSON.stringify(workload)} ran past its timeout of ${opts.timeoutMs} ms and was killed (SIGTERM, then SIGKILL after the grace period). Raise the test's timeout or shorten the workload. The trace so far: ${opts.savePath}${result.stderr ? `\nstderr:\n${result.stderr.slice(-2000)}` : ''}`)
  }
  unreadable(trace, a.decl)
  return trace
}

/**
 * A recording mostly of lines kspec cannot read gives no verdict: every negated matcher
 * would hold on it. What loadTrace refuses in a file (load.ts checked) is refused here too,
 * naming the options that change how the kernel prints lines.
 */
function unreadable(trace: Trace, decl: TraceDeclaration): void {
  const lines = trace.problems.filter((p) => !p.cutShort)
  if (lines.length === 0 || lines.length < trace.recordCount) return
  const options = Object.entries(decl.options).map(([k, on]) => `${k}: ${on}`)
  const first = lines[0]
  throw new TraceFileError(
    `kspec cannot read the trace it recorded: ${lines.length} line(s) are not ftrace output it reads, against ${trace.recordCount} record(s); the first, at ${first.file}:${first.line}: ${JSON.stringify(first.text.slice(0, 200))}. ` +
      (options.length > 0 ? `The declaration sets trace options (${options.join(', ')}); one of them may print lines in a form kspec does not read (raw, hex and bin do): drop it. ` : '') +
      'Otherwise this is a kspec bug: report it with that file.',
  )
}

/** Scopes the arming to its spawner (or this process) once; later runs reuse the scope. */
async function scope(t: Target, a: Arming, workload: Workload, spawner: () => Promise<Spawner>): Promise<void> {
  const kind = workloadKind(workload)
  if (a.kind === kind) return
  if (a.kind !== undefined) throw new Error(`an arming scoped for ${a.kind} workloads cannot run a ${kind} workload`)
  a.kind = kind
  let pids: number[]
  if (kind === 'fn') pids = (await readdir('/proc/self/task')).map(Number)
  else {
    a.spawner = await spawner()
    pids = [a.spawner.pid]
  }
  const s = a.decl.scope
  if (s === 'system') return
  // `process` (and `except: 'process'`) names the workload's own pid on each run (runArmed), once it is forked.
  if (perRunPid(s) && kind === 'cmd') return
  const except = typeof s === 'object' && 'except' in s
  const follow = s === 'workload' || (except && s.except === 'workload') ? '1' : '0'
  const named = typeof s === 'object' && 'pids' in s ? s.pids : except && Array.isArray(s.except) ? s.except : pids
  // Both are in place before the spawner forks anything, so their order does not matter.
  await pidFilter(t, a, named, follow, except)
}

/** The scopes that name the workload's own process, written on each run once it is forked. */
const perRunPid = (s: TraceDeclaration['scope']): boolean => s === 'process' || (typeof s === 'object' && 'except' in s && s.except === 'process')

/**
 * The pid filters: set_event_pid and set_ftrace_pid (the named processes are traced), or
 * with `except` their notrace twins (everything else is); `follow` is event-fork and
 * function-fork, whether their children join them.
 */
async function pidFilter(t: Target, a: Arming, pids: number[], follow: '0' | '1', except: boolean): Promise<void> {
  const w = (file: string, data: string) => tracefsWrite(t, a.dir + file, data)
  const notrace = except ? 'notrace_' : ''
  await Promise.all([w('options/event-fork', follow), w(`set_event_${notrace}pid`, pids.join(' '))])
  if (a.decl.tracer !== 'nop') await Promise.all([w('options/function-fork', follow), w(`set_ftrace_${notrace}pid`, pids.join(' '))])
}

/** scope: 'process' or { except: 'process' }: this run's workload alone, by its pid, forked and stopped before its exec. */
async function scopeToProcess(t: Target, a: Arming, pid: number): Promise<void> {
  const s = a.decl.scope
  await pidFilter(t, a, [pid], '0', typeof s === 'object' && 'except' in s)
}

/**
 * Reads trace_pipe until it is empty (non-blocking, consuming), or until `cancel` aborts:
 * the instance cannot be removed while trace_pipe is open, so a shutdown stops reading.
 */
async function drain(t: Target, a: Arming, cancel?: AbortSignal, until?: (chunk: Buffer) => boolean): Promise<Buffer[]> {
  const out: Buffer[] = []
  const stop = new AbortController()
  stop.abort()
  for await (const chunk of t.stream(`${a.dir}trace_pipe`, stop.signal)) {
    out.push(chunk)
    if (cancel?.aborted || until?.(chunk)) break
  }
  return out
}

/** This arming's probes as the kernel lists them, read before teardown removes them. */
async function probeDefinitions(t: Target, a: Arming): Promise<string[]> {
  const out: string[] = []
  for (const file of new Set(a.probes.map((p) => p.file))) {
    const ours = new Set(a.probes.filter((p) => p.file === file).map((p) => `${a.probeGroup}/${p.name}`))
    for (const line of (await t.read(file)).split('\n')) if (ours.has(/^[a-z]\d*:(\S+)/.exec(line)?.[1] ?? '')) out.push(line)
  }
  return out
}

/** The snapshot buffer, parsed as a trace of its own (the run's formats type its events); its text is saved beside the trace. */
async function readSnapshot(t: Target, a: Arming, savePath: string): Promise<Trace> {
  const text = Buffer.from(await t.read(`${a.dir}snapshot`))
  const source = `${savePath}.snapshot`
  const [{ parser }] = await Promise.all([parserFor(t, a, source), writeFile(source, text, { flag: 'wx', mode: 0o600 })])
  await parser.read([text])
  return parser.finish()
}

/** The `hist` files of the events a hist trigger was set on, read before teardown removes them. */
async function histograms(t: Target, a: Arming): Promise<TracingState['histograms']> {
  const out: TracingState['histograms'] = {}
  for (const e of a.decl.events) {
    if (typeof e === 'string' || !e.triggers?.some((tr) => /^hist\b/.test(tr))) continue
    const [sys, name] = e.name.split(':')
    out[e.name] = parseHist(await t.read(`${a.dir}events/${sys}/${name}/hist`))
  }
  return out
}

/** A marker written after tracing_on and read back (consumed) from trace_pipe: recording has begun. */
async function barrier(t: Target, a: Arming): Promise<void> {
  const mark = `kspec: armed ${a.group}`
  await tracefsWrite(t, `${a.dir}trace_marker`, mark)
  // Reading stops at the marker: with tracing on, trace_pipe need never be empty (system
  // scope with sched_switch: each read makes the context switches it then reads).
  let seen = ''
  const found = (chunk: Buffer) => (seen = seen.slice(-mark.length) + chunk.toString('latin1')).includes(mark)
  for (let i = 0; i < 100; i++) {
    await drain(t, a, undefined, found)
    if (seen.includes(mark)) return
    await new Promise((r) => setTimeout(r, 1))
  }
  throw new TracefsError(`the readiness marker written to ${a.dir}trace_marker never came out of ${a.dir}trace_pipe: tracing did not start`, `${a.dir}trace_marker`, undefined)
}

/** Sum of the per-CPU overrun counters: what the ring buffer overwrote. */
async function overruns(t: Target, a: Arming): Promise<number> {
  let sum = 0
  for (const cpu of await t.list(`${a.dir}per_cpu`).catch(() => [] as string[])) {
    const stats = await t.read(`${a.dir}per_cpu/${cpu}/stats`).catch(() => '')
    sum += Number(/^overrun: (\d+)/m.exec(stats)?.[1] ?? 0)
  }
  return sum
}

const formatCache = new WeakMap<Target, Map<string, string | null>>()

/** A parser that knows the formats of the arming's events, and those formats' texts (for artifacts). */
async function parserFor(t: Target, a: Arming, source: string): Promise<{ parser: TraceParser; formats: Record<string, string> }> {
  let cache = formatCache.get(t)
  if (!cache) formatCache.set(t, (cache = new Map()))
  const parser = new TraceParser(source)
  const formats: Record<string, string> = {}
  for (const dir of a.formatDirs) {
    // A probe's format is its arming's alone (another may define the same name otherwise).
    const key = dir.startsWith(`events/${a.probeGroup}/`) ? `${a.group}/${dir}` : dir
    if (!cache.has(key)) cache.set(key, await t.read(`${dir}format`).catch(() => null))
    const text = cache.get(key)
    if (!text) continue
    parser.formats.add(parseFormat(text), dir.split('/')[1])
    formats[dir.split('/').slice(1, 3).join('_')] = text
  }
  return { parser, formats }
}


