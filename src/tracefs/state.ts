import type { Target } from '../kernel/target.js'

/** The global tracefs state a test could leave changed, as text per file (and the loaded modules). */
export type Snapshot = Record<string, string>

const FILES = [
  'current_tracer', 'tracing_on', 'set_event', 'set_event_pid', 'set_ftrace_pid', 'set_event_notrace_pid', 'set_ftrace_notrace_pid', 'trace_options', 'kprobe_events', 'uprobe_events',
  'buffer_size_kb', 'trace_clock', 'set_ftrace_filter', 'set_ftrace_notrace', 'set_graph_function', 'set_graph_notrace', 'max_graph_depth',
  'stack_trace_filter', 'stack_max_size', 'synthetic_events',
]

/** Lines naming kspec's own objects (other live armings, pooled instances) are not leaks of this test. */
const mine = (line: string): boolean => /\bkspec_\d+_\w+/.test(line)

/**
 * The top-level state and the instance list, minus kspec's own objects, which their
 * owners account for.
 */
export async function snapshot(t: Target): Promise<Snapshot> {
  const out: Snapshot = {}
  for (const f of FILES) {
    const v = await t.read(f).catch(() => undefined)
    if (v !== undefined) out[f] = v.split('\n').filter((l) => l && !mine(l)).join('\n')
  }
  const stackTracer = await t.readSysctl('kernel.stack_tracer_enabled').catch(() => undefined)
  if (stackTracer !== undefined) out['kernel.stack_tracer_enabled'] = stackTracer.trim()
  out.instances = (await t.list('instances').catch(() => [] as string[])).filter((l) => !mine(l)).sort().join(' ')
  // A module a test loaded and did not unload is left behind too.
  const modules = await t.modules().catch(() => undefined)
  if (modules) out.modules = modules.sort().join(' ')
  return out
}

/** `file: before → after` for each difference. */
export function diff(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = []
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    // A buffer not yet allocated ("7 (expanded: 1408)") is allocated by the kernel on first
    // use, by any tracing user, kprobe definitions included: not something a test can undo.
    if (k === 'buffer_size_kb' && /expanded/.test(before[k] ?? '')) continue
    if (before[k] !== after[k]) out.push(`${k}: ${JSON.stringify(before[k] ?? '(absent)')} → ${JSON.stringify(after[k] ?? '(absent)')}`)
  }
  return out
}
