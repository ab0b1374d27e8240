import { TargetError, TracefsError } from '../errors.js'
import type { Target } from '../kernel/target.js'

const ERRNO: Record<string, string> = {
  EINVAL: 'the kernel did not accept the value',
  ENOENT: 'the kernel knows no such thing',
  EBUSY: 'it is in use',
  EPERM: 'the kernel forbids it (lockdown or a security module)',
  EACCES: 'permission denied: kspec records traces as root',
  ENODEV: 'the kernel lacks the support for it',
  ENOMEM: 'the kernel could not allocate it',
}

/** What to do about an errno on a given tracefs file. */
function advice(path: string, code: string, data: string): string {
  const file = path.split('/').pop()!
  if (code === 'EBUSY' && /probe_events|dynamic_events/.test(file)) return 'a probe of this group is still enabled in some instance; disable it there (echo 0 > events/<group>/enable) before removing its definition'
  if (code === 'EBUSY' && file === 'current_tracer') return 'another tracer user holds the top level; wait for it, or run kspec where the tracer is available inside instances'
  if (code === 'EBUSY') return 'something else is using it: stop other tracing tools (trace-cmd, perf, bpftrace) on this kernel and retry'
  if (code === 'EINVAL' && /filter$/.test(file) && !file.startsWith('set_')) return `check the filter syntax against the event's format fields: ${JSON.stringify(data)}`
  if (code === 'EINVAL' && /set_(ftrace|graph)_(filter|notrace|function)/.test(file)) return `no traceable function matches ${JSON.stringify(data)}: check the name in available_filter_functions (it may be inlined, renamed or notrace)`
  if (code === 'EINVAL' && file === 'trigger') return `the kernel rejected the trigger ${JSON.stringify(data)}: see Documentation/trace/events.rst for the trigger syntax`
  if (code === 'ENOENT' && /probe_events/.test(file)) return 'the probed symbol, binary or offset does not exist'
  if (code === 'EACCES' || code === 'EPERM') return 'run kspec as root; on a locked-down kernel (lockdown=confidentiality) tracing is not allowed at all'
  return ERRNO[code] ?? code
}

function entries(log: string): string[][] {
  const lines = log.trimEnd().split('\n')
  const out: string[][] = []
  // An error_log entry is a "[ts] subsystem: error: ..." line, then Command: and caret lines.
  for (const l of lines) {
    if (/^\[\s*\d+\.\d+\] /.test(l)) out.push([l])
    else if (out.length > 0 && l) out[out.length - 1].push(l)
  }
  return out
}

/**
 * One error_log entry read apart: `[ts] trace_kprobe: error: Invalid fetch argument`, then
 * `  Command: p:g/e do_sys_open +0(%di)))))` and a line whose `^` sits under the fault.
 */
export function readEntry([head, ...rest]: string[]): { message?: string; command?: string; caret?: number } {
  const message = /^\[\s*\d+\.\d+\]\s*[^:]+: error: (.*)$/.exec(head)?.[1]?.trim()
  const commandLine = rest.find((l) => /^\s*Command: /.test(l))
  if (commandLine === undefined) return { message }
  const start = commandLine.indexOf('Command: ') + 9
  const command = commandLine.slice(start)
  const caretLine = rest[rest.indexOf(commandLine) + 1]
  const at = caretLine?.indexOf('^') ?? -1
  return { message, command, ...(at >= start && { caret: at - start }) }
}

export interface WriteOptions {
  append?: boolean
  /** Where the kernel logs errors for this file (`instances/x/` or '' for the top level): its new entries go into the message. */
  errorLog?: string
}

/**
 * Performs a tracefs write and turns a refusal into a TracefsError that says which file
 * refused which value, why in the kernel's words (its new error_log entry, caret
 * included), and what to do.
 */
export async function tracefsWrite(t: Target, path: string, data: string, options: WriteOptions = {}): Promise<void> {
  const logPath = options.errorLog === undefined ? undefined : `${options.errorLog}error_log`
  // By content, not count: the kernel keeps only the last 16 entries, so a full log stays full.
  const before = new Set(logPath ? entries(await t.read(logPath).catch(() => '')).map((e) => e.join('\n')) : [])
  try {
    if (options.append) await t.append(path, data)
    else await t.write(path, data)
  } catch (e) {
    if (!(e instanceof TargetError)) throw e
    const added = logPath ? entries(await t.read(logPath).catch(() => '')).filter((e) => !before.has(e.join('\n'))) : []
    const shown = JSON.stringify((data.length > 200 ? `${data.slice(0, 200)}…` : data).trimEnd())
    const todo = advice(path, e.code, data.trimEnd())
    if (added.length === 0) throw new TracefsError(`tracefs refused ${shown} in ${path} (${e.code}): ${todo}.`, path, e.code, { cause: e, refusal: { value: data.trimEnd() } })
    // The kernel's own words first (its error_log entry, caret included), then the errno and what to do.
    const said = added.map(([head, ...rest]) => [head.replace(/^\[\s*\d+\.\d+\]\s*/, ''), ...rest].join('\n')).join('\n')
    throw new TracefsError(`tracefs refused ${shown} in ${path}: ${said}\n(${e.code}: ${todo}.)`, path, e.code, { cause: e, refusal: { value: data.trimEnd(), ...readEntry(added[added.length - 1]) } })
  }
}
