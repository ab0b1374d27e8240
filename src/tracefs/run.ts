import { mkdir, readdir, writeFile, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TracefsError, WorkloadTimeoutError } from '../errors.js'
import type { Target, WorkloadResult } from '../kernel/target.js'
import { forEachLine } from '../parse/lines.js'
import { TraceParser } from '../parse/parser.js'
import { parseFormat } from '../parse/format.js'
import type { Trace } from '../trace/trace.js'
import type { Arming } from './arm.js'
import { tracefsWrite } from './explain.js'

/** What a function workload gets: `mark(text)` writes a trace_marker line, to fence a step. */
export interface WorkloadContext {
  mark(text: string): Promise<void>
}

/**
 * A shell command (`'ls -hl'`), an argv array (`['ls', '-hl']`), or an async function run
 * in this process (host only), whose threads and children are the traced scope.
 */
export type Workload = string | string[] | ((ctx: WorkloadContext) => unknown)

export interface RunOptions {
  timeoutMs: number
  /** Where the raw trace is saved; its path becomes trace.source. */
  savePath: string
}

/** Where recorded traces are saved, unless a reporter's artifact directory says otherwise. */
export const traceDir = (): string => process.env.KSPEC_TRACE_DIR ?? join(tmpdir(), 'kspec', String(process.pid))

/**
 * One recording on an armed instance: stop, clear, scope to the workload's pid (started
 * stopped), start, barrier, run, stop, collect, parse. The arming stays for reuse.
 */
export async function runArmed(t: Target, a: Arming, workload: Workload, opts: RunOptions): Promise<Trace & { workload?: WorkloadResult }> {
  const w = (file: string, data: string) => tracefsWrite(t, a.dir + file, data)
  await w('tracing_on', '0')
  const scoped = a.decl.scope === 'workload'
  const fn = a.decl.tracer !== 'nop'
  const start = async (pids: number[]): Promise<void> => {
    if (scoped) {
      await w('options/event-fork', '1')
      await w('set_event_pid', pids.join(' '))
      if (fn) {
        await w('options/function-fork', '1')
        await w('set_ftrace_pid', pids.join(' '))
      }
    }
    await w('trace', '')
    await w('tracing_on', '1')
    await barrier(t, a)
  }
  let stream: { done: Promise<Trace>; stop: () => void } | undefined
  let result: WorkloadResult | undefined
  try {
    if (typeof workload === 'function') {
      if (t.name !== 'host') throw new TypeError(`a function workload runs in this process, so it can only trace the host; on ${t.name} pass a command: record(decl, 'cmd args')`)
      const tids = (await readdir('/proc/self/task')).map(Number)
      await start(tids)
      if (a.decl.stream) stream = streamTrace(t, a, opts.savePath)
      await workload({ mark: (text) => tracefsWrite(t, `${a.dir}trace_marker`, text) })
    } else {
      const spec = typeof workload === 'string' ? { shell: workload } : { argv: workload }
      if (!Array.isArray(workload) && typeof workload !== 'string') throw new TypeError('record(decl, workload): the workload is a shell command string, an argv array or an async function')
      result = await t.run(spec, {
        timeoutMs: opts.timeoutMs,
        onStopped: async (pid) => {
          await start([pid])
          if (a.decl.stream) stream = streamTrace(t, a, opts.savePath)
        },
      })
    }
  } finally {
    await w('tracing_on', '0')
    stream?.stop()
  }
  let trace: Trace
  if (stream) {
    trace = await stream.done
    await addOverruns(t, a, trace)
  } else {
    const text = await t.read(`${a.dir}trace`)
    await writeFile(opts.savePath, text)
    const parser = await parserFor(t, a, opts.savePath)
    await forEachLine([text], (s, from, to) => parser.pushRange(s, from, to))
    trace = parser.finish()
  }
  if (result?.timedOut) {
    throw new WorkloadTimeoutError(`the workload ${JSON.stringify(workload)} ran past its timeout of ${opts.timeoutMs} ms and was killed (SIGTERM, then SIGKILL after the grace period). Raise the test's timeout or shorten the workload. The trace so far: ${opts.savePath}${result.stderr ? `\nstderr:\n${result.stderr.slice(-2000)}` : ''}`)
  }
  return Object.assign(trace, { workload: result })
}

/** A marker written after arming and read back: the instance is recording. */
async function barrier(t: Target, a: Arming): Promise<void> {
  const mark = `kspec: armed ${a.group}`
  await tracefsWrite(t, `${a.dir}trace_marker`, mark)
  for (let i = 0; i < 50; i++) {
    if ((await t.read(`${a.dir}trace`)).includes(mark)) return
    await new Promise((r) => setTimeout(r, 2))
  }
  throw new TracefsError(`the readiness marker written to ${a.dir}trace_marker never appeared in ${a.dir}trace: tracing did not start`, `${a.dir}trace_marker`, undefined)
}

const formatCache = new WeakMap<Target, Map<string, string | null>>()

async function parserFor(t: Target, a: Arming, source: string): Promise<TraceParser> {
  let cache = formatCache.get(t)
  if (!cache) formatCache.set(t, (cache = new Map()))
  const parser = new TraceParser(source)
  for (const dir of a.formatDirs) {
    const key = dir.startsWith(`events/${a.group}/`) ? `${a.group}/${dir}` : dir
    if (!cache.has(key)) cache.set(key, await t.read(`${dir}format`).catch(() => null))
    const text = cache.get(key)
    if (text) parser.formats.add(parseFormat(text), dir.split('/')[1])
  }
  return parser
}

/** Reads trace_pipe while the workload runs, saving and parsing as it goes. */
function streamTrace(t: Target, a: Arming, savePath: string): { done: Promise<Trace>; stop: () => void } {
  const abort = new AbortController()
  const done = (async () => {
    await writeFile(savePath, '')
    const parser = await parserFor(t, a, savePath)
    const chunks = t.stream(`${a.dir}trace_pipe`, abort.signal)
    async function* saved(): AsyncIterable<Buffer> {
      for await (const c of chunks) {
        await appendFile(savePath, c)
        yield c
      }
    }
    await forEachLine(saved(), (s, from, to) => parser.pushRange(s, from, to))
    return parser.finish()
  })()
  return { done, stop: () => abort.abort() }
}

/** trace_pipe has no header: the per-CPU overrun counters say what was overwritten. */
async function addOverruns(t: Target, a: Arming, trace: Trace): Promise<void> {
  const cpus = await t.list(`${a.dir}per_cpu`).catch(() => [] as string[])
  for (const cpu of cpus) {
    const stats = await t.read(`${a.dir}per_cpu/${cpu}/stats`).catch(() => '')
    const overrun = Number(/^overrun: (\d+)/m.exec(stats)?.[1] ?? 0)
    if (overrun > 0 && trace.loss.lostEvents === 0) trace.loss.overwritten += overrun
  }
}

export async function ensureTraceDir(): Promise<string> {
  const dir = traceDir()
  await mkdir(dir, { recursive: true })
  return dir
}
