import { TracefsError, UnsupportedError } from '../errors.js'
import type { Spawner, Target } from '../kernel/target.js'
import { nearest } from '../text.js'
import { eventNames, type TraceDeclaration } from '../spec/declaration.js'
import type { Probe } from '../spec/probes.js'
import { functionSymbols, symbolOffset } from './elf.js'
import { tracefsWrite } from './explain.js'
import { globRegExp } from '../trace/glob.js'
import type { Features } from './features.js'
import { plan } from './requirements.js'
import { withDynamicEvents } from './locks.js'
import { checkFunctions } from './functions.js'
import { restoreStackTracer, saveTopLevel, STACK_TRACER, type SavedStackTracer, type SavedState } from './toplevel.js'
import { parseStackTrace } from '../parse/stack-trace.js'
import { deadNotes, deadOwner, finishArmings, needsNote, noteArming, noteStackTracer, stackNoteKey, undoArmings, undoStackTracers } from './undo.js'
import type { DeepestStack } from '../trace/state.js'

/** A declaration applied to tracefs: where (an instance or the top level) and what was created. */
export interface Arming {
  decl: TraceDeclaration
  /** `instances/kspec_<pid>_<n>/`, or '' for the top level. */
  dir: string
  /** The arming's own name, `kspec_<pid>_<n>`: its instance's and, unless the declaration chose one, its probes' group. */
  group: string
  /** The dynamic-event group its probes are defined in: the declaration's `probeGroup`, or `group`. */
  probeGroup: string
  probes: { file: 'kprobe_events' | 'uprobe_events' | 'dynamic_events'; name: string }[]
  /** Event directories (`events/sys/name/`) whose format types the fields. */
  formatDirs: string[]
  /** The top level as kspec found it, to restore; only for top-level armings. */
  saved?: SavedState
  releaseLock?: () => Promise<void>
  /** What the arming was scoped for on its first run: the spawner's commands or this process's threads. */
  kind?: 'cmd' | 'fn'
  spawner?: Spawner
  /** The ring buffer's overrun count after the last run (per-CPU stats, summed). */
  overrun?: number
  /** tracing_on is known to be 0 (written after the last run); teardown need not write it. */
  stopped?: boolean
  /** Triggers to set just before the run (armTriggers), in declaration order. */
  triggers?: { file: string; trigger: string }[]
  /** The instance's set_event once armed: a workload that changed it (enable(), $KSPEC_INSTANCE) leaves an arming no other test may reuse. */
  enabled?: string
  /** Synthetic events this arming defined, by name, to remove after the instance. */
  synthetic?: string[]
  /**
   * Locks held until the arming's teardown: on the tracepoints its tprobes use (6.12 takes
   * one tprobe per tracepoint at a time, a second gets EEXIST) and on a probe group the
   * declaration chose (its names are the machine's), so tests take turns.
   */
  heldLocks?: (() => Promise<void>)[]
  /** During a run with the stack tracer: the machine's stack tracer as kspec found it, and the lock held for the run. */
  stack?: { saved: SavedStackTracer; release: () => Promise<void> }
}

let armings = 0

/**
 * Applies a declaration in the order tracefs needs: instance, buffer, clock, options,
 * function filters, probe definitions, events (filter and triggers before enable),
 * tracer, func_stack_trace. Tracing stays off; the caller scopes, clears and starts it.
 * On any failure everything created so far is removed before the error is rethrown.
 */
export async function arm(t: Target, decl: TraceDeclaration, features: Features, onCreated: (a: Arming) => void): Promise<Arming> {
  const p = plan(decl, features)
  if (p.unmet.length > 0) throw new UnsupportedError(p.unmet.join('; '), { needs: p.needs })
  const n = ++armings
  const group = `kspec_${process.pid}_${n}`
  const a: Arming = { decl, dir: '', group, probeGroup: decl.probeGroup ?? group, probes: [], formatDirs: [] }
  if (p.topLevel) {
    a.releaseLock = await t.lock('toplevel', 60_000)
    try {
      // A run killed while it held the top level left it changed: put back first, or it would be saved as found.
      const out = { undone: [], unreadable: [] }
      await finishArmings(t, await undoArmings(t, await deadNotes(t, deadOwner(t)), out, 'toplevel'), out)
      a.saved = await saveTopLevel(t, decl)
    } catch (e) {
      await a.releaseLock()
      throw e
    }
  } else {
    a.dir = `instances/kspec_${process.pid}_${n}/`
    await t.mkdir(a.dir.slice(0, -1))
  }
  onCreated(a)
  // Written before anything changes: a kill -9 from here on leaves a note of what to undo.
  if (needsNote(a)) await noteArming(t, a)
  const w = (file: string, data: string, errorLog = false) => tracefsWrite(t, a.dir + file, data, errorLog ? { errorLog: a.dir } : {})
  await w('tracing_on', '0')
  if (decl.bufferSizeKb) await w('buffer_size_kb', String(decl.bufferSizeKb))
  if (decl.clock) await w('trace_clock', decl.clock)
  for (const [option, on] of Object.entries(decl.options)) await w(`options/${option}`, on ? '1' : '0')
  if (decl.stacktrace) await w('options/stacktrace', '1')
  if (decl.tracer !== 'nop') {
    await checkFunctions(t, features, [...decl.functions, ...decl.notrace, ...decl.graphFunctions, ...decl.graphNotrace])
    const filters = [['set_ftrace_filter', decl.functions], ['set_ftrace_notrace', decl.notrace], ['set_graph_function', decl.graphFunctions], ['set_graph_notrace', decl.graphNotrace]] as const
    for (const [file, entries] of filters) {
      if (entries.length === 0) continue
      await w(file, entries.join('\n'), true)
      await checkFilter(t, a.dir + file, entries)
    }
    if (decl.maxGraphDepth !== undefined) await w('max_graph_depth', String(decl.maxGraphDepth))
  }
  for (const tp of new Set(decl.fprobes.filter((p) => p.type === 'tprobe').map((p) => p.at))) (a.heldLocks ??= []).push(await t.lock(`tprobe_${tp.replace(':', '_')}`, 60_000))
  if (decl.probeGroup !== undefined) {
    ;(a.heldLocks ??= []).push(await t.lock(`probe_group_${decl.probeGroup}`, 60_000))
    // A run killed while it held the group left its probes there: removed first, or this one's would clash.
    const out = { undone: [], unreadable: [] }
    await finishArmings(t, await undoArmings(t, await deadNotes(t, deadOwner(t)), out, { probeGroup: decl.probeGroup }), out, true)
  }
  await defineProbes(t, a, [...decl.kprobes, ...decl.uprobes, ...decl.eprobes, ...decl.fprobes])
  await defineSynthetic(t, a, decl.syntheticEvents)
  for (const e of decl.events) await enableEvent(t, a, typeof e === 'string' ? { name: e } : e)
  // Function triggers wait for the run (armTriggers), as event triggers do, and the stack
  // tracer is set per run (startStackTracer): their function names are checked now, so a
  // misspelt one fails before anything runs.
  const named = [...decl.functionTriggers.map((tr) => tr.slice(0, tr.indexOf(':'))), ...stackTracerFunctions(decl)]
  if (named.length > 0) await checkFunctions(t, features, named)
  for (const trigger of decl.functionTriggers) (a.triggers ??= []).push({ file: `${a.dir}set_ftrace_filter`, trigger })
  for (const probe of a.probes) {
    a.formatDirs.push(`events/${a.probeGroup}/${probe.name}/`)
    await w(`events/${a.probeGroup}/${probe.name}/enable`, '1')
  }
  if (decl.tracer !== 'nop') await w('current_tracer', decl.tracer)
  if (decl.funcStackTrace) await w('options/func_stack_trace', '1')
  return a
}

/** The functions a declaration's stack tracer is limited to (stack_trace_filter); none for all. */
const stackTracerFunctions = (d: TraceDeclaration): string[] => (typeof d.stackTracer === 'object' ? d.stackTracer.functions : [])

/**
 * The stack tracer for one run: the machine has one, so a lock keeps it to one run at a
 * time, and what kspec changes (its switch, filter and maximum) is saved here and put back
 * by stopStackTracer (or by teardown, when the run was cut short). Nothing stays set while
 * an arming waits to be reused, and a reused arming holds no lock another test waits on.
 */
export async function startStackTracer(t: Target, a: Arming): Promise<void> {
  const functions = stackTracerFunctions(a.decl)
  const release = await t.lock('stack_tracer', 60_000)
  try {
    // A run killed while it held the stack tracer left it on: put back first, or it would be saved as found.
    await undoStackTracers(t, await deadNotes(t, deadOwner(t)), { undone: [], unreadable: [] }, true)
    const saved: SavedStackTracer = { enabled: (await t.readSysctl(STACK_TRACER))?.trim() ?? '0', maxSize: (await t.read('stack_max_size')).trim(), filter: await t.read('stack_trace_filter') }
    await noteStackTracer(t, saved)
    a.stack = { saved, release }
  } catch (e) {
    await release()
    throw e
  }
  if (functions.length > 0) {
    await tracefsWrite(t, 'stack_trace_filter', functions.join('\n'), { errorLog: '' })
    await checkFilter(t, 'stack_trace_filter', functions)
  }
  await tracefsWrite(t, 'stack_max_size', '0')
  await t.writeSysctl(STACK_TRACER, '1')
}

/** Switches the stack tracer off, reads the deepest stack, and puts it back as kspec found it. */
export async function stopStackTracer(t: Target, a: Arming): Promise<DeepestStack> {
  try {
    await t.writeSysctl(STACK_TRACER, '0')
    return parseStackTrace(await t.read('stack_trace'), await t.read('stack_max_size'))
  } finally {
    await releaseStackTracer(t, a)
  }
}

/** Puts the stack tracer back and lets the next run have it; nothing when this arming does not hold it. */
export async function releaseStackTracer(t: Target, a: Arming): Promise<void> {
  const held = a.stack
  if (held === undefined) return
  a.stack = undefined
  try {
    const failed = await restoreStackTracer(t, held.saved)
    if (failed.length === 0) await t.dropNote(stackNoteKey())
    if (failed.length) throw new TracefsError(`could not put the stack tracer's ${failed.join(', ')} back as kspec found them`, failed[0], undefined)
  } finally {
    await held.release()
  }
}

/**
 * Sets the arming's triggers, once, after the workload's process was forked (and stopped)
 * and tracing has begun (the barrier passed), just before the workload runs: a trigger on
 * a function every task hits (`schedule:traceoff`) fires at once, and set earlier it
 * turned tracing off before the barrier's marker could be written (EBADF). A trigger without a condition fires before the pid filter is
 * consulted, and with tracing off too (only traceon/traceoff check tracing_on): set at
 * arming, an `enable_event` or `stacktrace` on sched_process_fork fired on kspec's own fork
 * of the workload, so sched_switch was on from the start. Other processes of the machine
 * still fire them while the workload runs, as they would for anyone's trigger.
 */
export async function armTriggers(t: Target, a: Arming): Promise<void> {
  const pending = a.triggers ?? []
  a.triggers = undefined
  // Appended, as `>>`: opening a trigger file with O_TRUNC (`>`) unregisters its hist
  // triggers, so a second hist trigger written that way silently removed the first.
  for (const { file, trigger } of pending) await tracefsWrite(t, file, trigger, { errorLog: a.dir, append: true })
}

async function enableEvent(t: Target, a: Arming, e: { name: string; filter?: string; triggers?: string[] }): Promise<void> {
  const [system, event] = e.name.split(':')
  const dirs = await matchEvents(t, a.dir, system, event)
  for (const dir of dirs) {
    a.formatDirs.push(dir)
    if (e.filter) await tracefsWrite(t, a.dir + dir + 'filter', e.filter, { errorLog: a.dir })
    // Triggers wait for the run (armTriggers): see there.
    for (const trigger of e.triggers ?? []) (a.triggers ??= []).push({ file: a.dir + dir + 'trigger', trigger })
    // The ftrace system's events (print: trace_marker writes, function, …) have no enable
    // file: they are recorded whenever their source writes, so there is nothing to turn on.
    if (system === 'ftrace' && !(await t.exists(a.dir + dir + 'enable'))) continue
    await tracefsWrite(t, a.dir + dir + 'enable', '1')
  }
}

/** `events/<sys>/<event>/` directories matching a name or glob; none is unsupported. */
async function matchEvents(t: Target, dir: string, system: string, event: string): Promise<string[]> {
  const glob = globRegExp
  if (!/[*?]/.test(system + event)) {
    if (await t.exists(`${dir}events/${system}/${event}`)) return [`events/${system}/${event}/`]
  } else {
    const systems = (await t.list(`${dir}events`)).filter((s) => glob(system).test(s))
    const out: string[] = []
    for (const s of systems) {
      const names = await t.list(`${dir}events/${s}`).catch(() => [] as string[])
      for (const e of names) if (glob(event).test(e) && !['enable', 'filter'].includes(e)) out.push(`events/${s}/${e}/`)
    }
    if (out.length > 0) return out
  }
  const known = (await t.read('available_events').catch(() => '')).split('\n').filter(Boolean)
  const near = nearest(`${system}:${event}`, known)
  throw new UnsupportedError(`the event ${system}:${event} does not exist on ${await t.release()}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`)
}

async function defineProbes(t: Target, a: Arming, probes: Probe[]): Promise<void> {
  if (probes.length === 0) return
  await withDynamicEvents(t, async () => {
    for (const p of probes) {
      const file = DYNAMIC_ONLY[p.type] !== undefined ? 'dynamic_events' : p.type === 'kprobe' || p.type === 'kretprobe' ? 'kprobe_events' : 'uprobe_events'
      const kind = DYNAMIC_ONLY[p.type] ?? (p.type.includes('ret') && !p.returnSuffix ? `r${p.maxactive ?? ''}` : 'p')
      // An fprobe's exit is always written %return: f: has no r: form.
      const suffix = p.returnSuffix || p.type === 'fretprobe' ? '%return' : ''
      const args = (p.allArgs ? ' $arg*' : '') + Object.entries(p.args).map(([k, v]) => ` ${k}=${v}`).join('')
      const line = `${kind}:${a.probeGroup}/${p.name} ${await place(t, p)}${suffix}${args}${p.filter ? ` if ${p.filter}` : ''}`
      await tracefsWrite(t, file, line, { append: true, errorLog: '' })
      a.probes.push({ file, name: p.name })
      // A chosen group's probes have no kspec name: the note says what to remove after a kill -9.
      if (a.decl.probeGroup !== undefined) await noteArming(t, a)
    }
  })
}

/** Synthetic events go in before the events are armed: `synthetic:<name>` must exist to be enabled or carry a trigger. */
async function defineSynthetic(t: Target, a: Arming, definitions: string[]): Promise<void> {
  if (definitions.length === 0) return
  await withDynamicEvents(t, async () => {
    for (const d of definitions) {
      const name = d.split(/\s/)[0]
      await tracefsWrite(t, 'synthetic_events', d, { append: true, errorLog: '' })
      ;(a.synthetic ??= []).push(name)
      a.formatDirs.push(`events/synthetic/${name}/`)
      await noteArming(t, a)
    }
  })
}

/** Probes that only dynamic_events defines, by their letter there. */
const DYNAMIC_ONLY: Partial<Record<Probe['type'], string>> = { eprobe: 'e', fprobe: 'f', fretprobe: 'f', tprobe: 't' }

async function place(t: Target, p: Probe): Promise<string> {
  if (p.type !== 'uprobe' && p.type !== 'uretprobe') return p.at
  if (p.offset !== undefined) return `${p.at}:0x${p.offset.toString(16)}`
  const elf = await t.readFile(p.at).catch(async (e) => {
    const code = (e as { code?: string }).code
    if (code === 'ENOENT') throw new UnsupportedError(`the uprobe ${p.name} needs ${p.at}, which does not exist on ${await t.release()}`)
    throw new TracefsError(`uprobe ${p.name}: cannot read ${p.at} (${code ?? e}): give the binary's absolute path on the target`, p.at, code)
  })
  const offset = symbolOffset(elf, p.symbol!)
  if (offset === undefined) {
    const near = nearest(p.symbol!, functionSymbols(elf))
    throw new TracefsError(`uprobe ${p.name}: ${p.at} has no function symbol "${p.symbol}"${near.length ? ` — did you mean ${near.join(', ')}?` : ''}`, p.at, 'ENOENT')
  }
  return `${p.at}:0x${offset.toString(16)}`
}

export { eventNames }

/** The function triggers set_ftrace_filter lists (`schedule:traceoff:count=2`, `kernel_clone:stacktrace:unlimited`), not its filter entries. */
export const listedFunctionTriggers = (text: string): string[] => text.split('\n').filter((l) => /^[^\s#:]+:\S/.test(l) && !/^:mod:/.test(l))

/**
 * Reads a function filter back and checks every entry took: a write the kernel took only
 * part of (one entry per write() on some paths) must not leave a filter missing functions,
 * and a trace that silently lacks them. Plain names must be listed, globs must match some
 * listed name; `:mod:` entries (kept for modules not yet loaded) are not checked.
 */
export async function checkFilter(t: Target, path: string, entries: readonly string[]): Promise<void> {
  const listed = (await t.read(path)).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s/)[0])
  const have = new Set(listed)
  const missing = entries.filter((e) => {
    if (e.includes(':mod:')) return false
    if (!/[*?]/.test(e)) return !have.has(e)
    const re = globRegExp(e)
    return !listed.some((n) => re.test(n))
  })
  if (missing.length) {
    throw new TracefsError(`${path} does not hold ${missing.map((m) => JSON.stringify(m)).join(', ')} after kspec wrote ${JSON.stringify(entries.join('\n'))} (it lists ${listed.length} function(s)): the kernel took only part of the filter, so the trace would silently lack those functions`, path, 'EIO')
  }
}
