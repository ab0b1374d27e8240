import { eventNames, type TraceDeclaration } from '../spec/declaration.js'
import type { Features } from './features.js'

/** The kernel option an event trigger command needs beyond the trigger file itself. */
const TRIGGER_CONFIG: Record<string, string> = {
  hist: 'CONFIG_HIST_TRIGGERS',
  enable_hist: 'CONFIG_HIST_TRIGGERS',
  disable_hist: 'CONFIG_HIST_TRIGGERS',
  snapshot: 'CONFIG_TRACER_SNAPSHOT',
}

export interface Plan {
  /** Why the declaration cannot run on this target; empty when it can. */
  unmet: string[]
  /** The tracer is not offered inside instances: use the top level, under a lock. */
  topLevel: boolean
}

/**
 * What a declaration needs from a target, checked against its probed features.
 * @example plan(decl, features).unmet // ['function_graph is not available on 6.18.44 (available: blk function nop)']
 */
export function plan(d: TraceDeclaration, f: Features): Plan {
  const unmet: string[] = []
  const on = `on ${f.release}`
  let topLevel = false
  if (d.tracer !== 'nop') {
    const refusedWith = f.refused.get(d.tracer)
    if (!f.tracers.includes(d.tracer)) unmet.push(`${d.tracer} is not available ${on} (available: ${f.tracers.join(' ')})`)
    else if (refusedWith) unmet.push(`${d.tracer} is refused ${on}: selecting it fails with ${refusedWith}${refusedWith === 'EPERM' ? ' (a lockdown or a security module forbids the function tracer)' : ''}`)
    else if (!f.instances || !f.instanceTracers.includes(d.tracer)) topLevel = true
  }
  if (d.kprobes.length > 0 && !f.kprobes) unmet.push(`kprobes are not available ${on} (no kprobe_events: CONFIG_KPROBE_EVENTS is off)`)
  if (d.uprobes.length > 0 && !f.uprobes) unmet.push(`uprobes are not available ${on} (no uprobe_events: CONFIG_UPROBE_EVENTS is off)`)
  const options = Object.keys(d.options)
  if (d.stacktrace) options.push('stacktrace')
  for (const o of options) if (!f.options.has(o)) unmet.push(`the trace option ${o} is not available ${on}`)
  if (d.clock && !f.clocks.includes(d.clock)) unmet.push(`the trace clock ${d.clock} is not available ${on} (available: ${f.clocks.join(' ')})`)
  for (const e of d.events) {
    if (typeof e === 'string' || !f.eventTriggers) continue
    for (const trigger of e.triggers ?? []) {
      const command = /^\w+/.exec(trigger)?.[0] ?? trigger
      if (f.eventTriggers.has(command)) continue
      const config = TRIGGER_CONFIG[command]
      unmet.push(`the event trigger ${command} is not available ${on}${config ? ` (${config} is off)` : ''}; its triggers: ${[...f.eventTriggers].join(' ')}`)
    }
  }
  if (!f.instances && eventNames(d).length > 0) topLevel = true
  return { unmet, topLevel }
}
