import type { Target } from '../kernel/target.js'
import { readsSnapshot, type TraceDeclaration } from '../spec/declaration.js'

/** The top-level files kspec may change, as it found them. */
export interface SavedState {
  files: Record<string, string>
}

export const TOP_LEVEL_FILES = [
  'tracing_on', 'current_tracer', 'set_ftrace_filter', 'set_ftrace_notrace', 'set_graph_function', 'set_graph_notrace',
  'max_graph_depth', 'set_event', 'set_event_pid', 'set_ftrace_pid', 'set_event_notrace_pid', 'set_ftrace_notrace_pid', 'buffer_size_kb', 'trace_clock',
]

/** Reads what a top-level arming will change, so teardown can put it back. */
export async function saveTopLevel(t: Target, d: TraceDeclaration): Promise<SavedState> {
  const files: Record<string, string> = {}
  const options = ['func_stack_trace', 'stacktrace', 'event-fork', 'function-fork', ...Object.keys(d.options)].map((o) => `options/${o}`)
  for (const f of [...TOP_LEVEL_FILES, ...options]) {
    const v = await t.read(f).catch(() => undefined)
    if (v !== undefined) files[f] = v
  }
  return { files }
}

/**
 * A declaration's event triggers in the order they can be removed (under `dir`, an
 * instance's or the top level): histograms whose actions (`onmatch(…)`, `onmax(…)`,
 * `onchange(…)`) use other triggers' variables or fire synthetic events go first, then the
 * rest, last declared first. The kernel refuses to remove a hist trigger whose variables
 * another still uses, and an instance holding such triggers cannot be removed at all (EBUSY).
 */
export function eventTriggersToRemove(d: TraceDeclaration, dir: string): { file: string; trigger: string }[] {
  const all = d.events.flatMap((e) => (typeof e === 'string' || /[*?]/.test(e.name) ? [] : (e.triggers ?? []).map((trigger) => ({ file: `${dir}events/${e.name.replace(':', '/')}/trigger`, trigger }))))
  const action = (t: { trigger: string }) => /:on(match|max|change)\(/.test(t.trigger)
  return [...all.filter(action).reverse(), ...all.filter((t) => !action(t)).reverse()]
}

/** What removes a function trigger: `!fn:cmd`, and for one with a count `!fn:cmd:0`, as the kernel's README says. */
export const functionTriggerRemoval = (trigger: string): string => `!${trigger.replace(/:\d+$/, ':0')}`

/** The stack tracer's switch, a sysctl (it has no tracefs file). */
export const STACK_TRACER = 'kernel.stack_tracer_enabled' as const

/** The stack tracer's state as kspec found it. */
export interface SavedStackTracer {
  enabled: string
  maxSize: string
  filter: string
}

/** Puts the stack tracer back: switched as it was, its filter and its recorded maximum. */
export async function restoreStackTracer(t: Target, s: SavedStackTracer): Promise<string[]> {
  const { failed, attempt, put } = attempts(t)
  await attempt(STACK_TRACER, () => t.writeSysctl(STACK_TRACER, s.enabled))
  await put('stack_trace_filter', '')
  for (const l of lines(s.filter)) await put('stack_trace_filter', l, true)
  await put('stack_max_size', s.maxSize)
  return failed
}

/**
 * Restoring writes, each tried whatever became of the others: `failed` names what did not
 * take (a file, or what `attempt` was told), for one report at the end.
 */
function attempts(t: Target) {
  const failed: string[] = []
  const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn()
    } catch {
      failed.push(what)
    }
  }
  const put = (file: string, data: string, append = false): Promise<void> => attempt(file, () => (append ? t.append(file, data) : t.write(file, data)))
  return { failed, attempt, put }
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l && !l.startsWith('#'))

/** What undoing an arming at the top level needs besides the saved files: what the declaration added there. */
export interface TopLevelUndo {
  functionTriggers: string[]
  eventTriggers: { file: string; trigger: string }[]
  /** `events/<sys>/<event>/filter` files the declaration set. */
  eventFilters: string[]
  /** kspec allocated the snapshot buffer. */
  snapshot: boolean
}

/** What a declaration adds at the top level, for restoreTopLevel (and for a note of it, src/tracefs/undo.ts). */
export function topLevelUndo(d: TraceDeclaration): TopLevelUndo {
  const eventFilters = d.events.flatMap((e) => (typeof e === 'string' || /[*?]/.test(e.name) || !e.filter ? [] : [`events/${e.name.replace(':', '/')}/filter`]))
  return { functionTriggers: [...d.functionTriggers], eventTriggers: eventTriggersToRemove(d, ''), eventFilters, snapshot: readsSnapshot(d) }
}

/**
 * Puts the top level back as it was, in dependency order: tracing off, func_stack_trace
 * off while the function tracer is still selected, the tracer, filters, events, pids,
 * options, buffer, clock, and tracing_on last.
 */
export async function restoreTopLevel(t: Target, s: SavedState, u: TopLevelUndo): Promise<string[]> {
  const { failed, put } = attempts(t)
  const f = s.files
  await put('tracing_on', '0')
  if ('options/func_stack_trace' in f) await put('options/func_stack_trace', f['options/func_stack_trace'].trim())
  if ('current_tracer' in f) await put('current_tracer', f.current_tracer.trim())
  // Truncating set_ftrace_filter leaves its function triggers: each is removed by name.
  for (const trigger of u.functionTriggers) await put('set_ftrace_filter', functionTriggerRemoval(trigger), true)
  for (const file of ['set_ftrace_filter', 'set_ftrace_notrace', 'set_graph_function', 'set_graph_notrace']) {
    if (!(file in f)) continue
    await put(file, '')
    for (const l of lines(f[file])) await put(file, l, true)
  }
  if ('max_graph_depth' in f) await put('max_graph_depth', f.max_graph_depth.trim())
  for (const { file, trigger } of u.eventTriggers) await put(file, `!${trigger}`)
  for (const file of u.eventFilters) await put(file, '0')
  // A snapshot buffer kspec had allocated at the top level is freed (`0` clears and frees it).
  if (u.snapshot) await put('snapshot', '0')
  await put('set_event', '')
  for (const l of lines(f.set_event ?? '')) await put('set_event', l, true)
  // Empty pid files read "no pid"; writing nothing (with O_TRUNC) restores that.
  for (const file of ['set_event_pid', 'set_ftrace_pid', 'set_event_notrace_pid', 'set_ftrace_notrace_pid']) if (file in f) await put(file, lines(f[file]).filter((l) => /^\d+$/.test(l)).join(' '))
  for (const [file, v] of Object.entries(f)) if (file.startsWith('options/') && file !== 'options/func_stack_trace') await put(file, v.trim())
  if ('buffer_size_kb' in f) await put('buffer_size_kb', f.buffer_size_kb.replace(/\D.*$/s, ''))
  if ('trace_clock' in f) await put('trace_clock', /\[(\S+)\]/.exec(f.trace_clock)?.[1] ?? 'local')
  await put('tracing_on', f.tracing_on?.trim() ?? '1')
  return failed
}
