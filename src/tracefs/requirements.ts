import type { Probe } from '../spec/probes.js'
import { namesByBtf } from '../spec/fetch-args.js'
import { eventNames, type TraceDeclaration } from '../spec/declaration.js'
import type { Features } from './features.js'

/**
 * What each tracefs feature kspec uses needs in the kernel's build configuration: the
 * options `kspec doctor --kernel X` reads from the kernel's config, and skips name.
 */
export const FEATURE_CONFIG: { feature: string; option: string }[] = [
  { feature: 'tracing (tracefs, events, markers)', option: 'CONFIG_FTRACE' },
  { feature: 'loadable modules', option: 'CONFIG_MODULES' },
  { feature: 'syscall tracepoints', option: 'CONFIG_FTRACE_SYSCALLS' },
  { feature: 'function tracer', option: 'CONFIG_FUNCTION_TRACER' },
  { feature: 'function_graph tracer', option: 'CONFIG_FUNCTION_GRAPH_TRACER' },
  { feature: 'dynamic ftrace (set_ftrace_filter)', option: 'CONFIG_DYNAMIC_FTRACE' },
  { feature: 'kprobe events', option: 'CONFIG_KPROBE_EVENTS' },
  { feature: 'uprobe events', option: 'CONFIG_UPROBE_EVENTS' },
  { feature: '$argN in kprobes', option: 'CONFIG_HAVE_FUNCTION_ARG_ACCESS_API' },
  { feature: 'fprobe and tprobe events (f:, t:)', option: 'CONFIG_FPROBE_EVENTS' },
  { feature: 'probe arguments by BTF name', option: 'CONFIG_PROBE_EVENTS_BTF_ARGS' },
  { feature: 'histogram triggers', option: 'CONFIG_HIST_TRIGGERS' },
  { feature: 'synthetic events', option: 'CONFIG_SYNTH_EVENTS' },
  { feature: 'snapshot', option: 'CONFIG_TRACER_SNAPSHOT' },
  { feature: 'stack tracer', option: 'CONFIG_STACK_TRACER' },
  { feature: 'function profiler', option: 'CONFIG_FUNCTION_PROFILER' },
  { feature: 'stack traces (options/stacktrace)', option: 'CONFIG_STACKTRACE' },
]

/** A probe that names arguments as BTF names them: `$arg*`, a bare name, or fields through `$retval`/`$argN`. */
export function usesBtf(p: Probe): boolean {
  return p.allArgs === true || Object.values(p.args).some(namesByBtf)
}

/** The kernel option a tracer needs. */
const TRACER_CONFIG: Record<'function' | 'function_graph', string> = {
  function: 'CONFIG_FUNCTION_TRACER',
  function_graph: 'CONFIG_FUNCTION_GRAPH_TRACER',
}

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
  /** The kernel options (CONFIG_…) that provide what is unmet, where one is known: not set, or set and refused at run time (a lockdown). */
  needs: string[]
  /** The tracer is not offered inside instances: use the top level, under a lock. */
  topLevel: boolean
}

/**
 * What a declaration needs from a target, checked against its probed features.
 * @example plan(decl, features).unmet // ['function_graph is not available on 6.18.44 (available: blk function nop)']
 */
export function plan(d: TraceDeclaration, f: Features): Plan {
  const unmet: string[] = []
  const needs: string[] = []
  const on = `on ${f.release}`
  let topLevel = false
  if (d.tracer !== 'nop') {
    const refusedWith = f.refused.get(d.tracer)
    const config = TRACER_CONFIG[d.tracer]
    if (!f.tracers.includes(d.tracer)) {
      unmet.push(`${d.tracer} is not available ${on} (available: ${f.tracers.join(' ')}; ${config} is off)`)
      needs.push(config)
    } else if (refusedWith) {
      unmet.push(`${d.tracer} is refused ${on}: selecting it fails with ${refusedWith}${refusedWith === 'EPERM' ? ' (a lockdown or a security module forbids the function tracer)' : ''}`)
      needs.push(config)
    } else if (!f.instances || !f.instanceTracers.includes(d.tracer)) topLevel = true
  }
  if (d.modules.length > 0 && !f.modules) {
    unmet.push(`kernel modules cannot be loaded ${on} (no /proc/modules: CONFIG_MODULES is off)`)
    needs.push('CONFIG_MODULES')
  }
  if (d.kprobes.length > 0 && !f.kprobes) {
    unmet.push(`kprobes are not available ${on} (no kprobe_events: CONFIG_KPROBE_EVENTS is off)`)
    needs.push('CONFIG_KPROBE_EVENTS')
  }
  if (d.uprobes.length > 0 && !f.uprobes) {
    unmet.push(`uprobes are not available ${on} (no uprobe_events: CONFIG_UPROBE_EVENTS is off)`)
    needs.push('CONFIG_UPROBE_EVENTS')
  }
  if (d.functionTriggers.length > 0) {
    const refusedWith = f.refused.get('function')
    if (f.functionTriggers === undefined || !f.tracers.includes('function')) {
      unmet.push(`function triggers are not available ${on} (no set_ftrace_filter triggers: CONFIG_FUNCTION_TRACER or CONFIG_DYNAMIC_FTRACE is off)`)
      needs.push('CONFIG_FUNCTION_TRACER', 'CONFIG_DYNAMIC_FTRACE')
    } else if (refusedWith) {
      unmet.push(`function triggers need the function tracer, which is refused ${on}: selecting it fails with ${refusedWith}${refusedWith === 'EPERM' ? ' (a lockdown or a security module forbids the function tracer)' : ''}`)
      needs.push('CONFIG_FUNCTION_TRACER')
    } else {
      for (const trigger of d.functionTriggers) {
        const command = trigger.split(':')[1]
        if (f.functionTriggers.has(command)) continue
        const config = command === 'snapshot' ? 'CONFIG_TRACER_SNAPSHOT' : undefined
        unmet.push(`the function trigger ${command} is not available ${on}${config ? ` (${config} is off)` : ''}; its function triggers: ${[...f.functionTriggers].join(' ')}`)
        if (config) needs.push(config)
      }
    }
  }
  if (d.eprobes.length > 0 && !f.eprobes) {
    unmet.push(`eprobes are not available ${on} (no e: in the README's dynamic_events syntax: Linux 5.15+ with CONFIG_PROBE_EVENTS, which kprobe or uprobe events select, is off)`)
    needs.push('CONFIG_PROBE_EVENTS')
  } else if (d.eprobes.length > 0 && f.eprobesRefused) {
    unmet.push(`eprobes are refused ${on}: its README lists e: but defining one on sched.sched_switch fails with ${f.eprobesRefused}, with nothing in error_log (CONFIG_PROBE_EVENTS is off, or a security policy forbids them)`)
    needs.push('CONFIG_PROBE_EVENTS')
  }
  const fprobes = d.fprobes.filter((p) => p.type !== 'tprobe')
  const tprobes = d.fprobes.filter((p) => p.type === 'tprobe')
  if (fprobes.length > 0 && !f.fprobes) {
    unmet.push(`fprobes are not available ${on} (no f: in the README's dynamic_events syntax: CONFIG_FPROBE_EVENTS is off)`)
    needs.push('CONFIG_FPROBE_EVENTS')
  }
  if (tprobes.length > 0 && !f.tprobes) {
    unmet.push(`tprobes are not available ${on} (no t: in the README's dynamic_events syntax: CONFIG_FPROBE_EVENTS is off, or the kernel predates 6.5)`)
    needs.push('CONFIG_FPROBE_EVENTS')
  }
  const btf = [...d.kprobes, ...d.fprobes].filter(usesBtf)
  if (btf.length > 0 && !f.btfArgs) {
    unmet.push(`probe arguments by BTF name (${btf.map((p) => p.name).join(', ')}) are not available ${on} (no <argname> in the README: CONFIG_PROBE_EVENTS_BTF_ARGS is off, or the kernel predates 6.8)`)
    needs.push('CONFIG_PROBE_EVENTS_BTF_ARGS')
  } else if (btf.length > 0 && !f.btfFields && [...d.kprobes, ...d.fprobes].some((p) => Object.values(p.args).some((a) => /->/.test(a)))) {
    unmet.push(`fields through BTF arguments (->field) are not available ${on}: Linux 6.9+ has them`)
  }
  if (typeof d.scope === 'object' && 'except' in d.scope && !f.notracePids) {
    unmet.push(`scope: { except } needs set_event_notrace_pid, which ${f.release} lacks (Linux 5.8+)`)
  }
  if (d.syntheticEvents.length > 0 && !f.synthetic) {
    unmet.push(`synthetic events are not available ${on} (no synthetic_events: CONFIG_SYNTH_EVENTS is off)`)
    needs.push('CONFIG_SYNTH_EVENTS')
  }
  if (d.snapshot && !f.snapshot) {
    unmet.push(`the snapshot buffer is not available ${on} (no snapshot file: CONFIG_TRACER_SNAPSHOT is off)`)
    needs.push('CONFIG_TRACER_SNAPSHOT')
  }
  if (d.stackTracer && !f.stackTracer) {
    unmet.push(`the stack tracer is not available ${on} (no stack_trace: CONFIG_STACK_TRACER is off)`)
    needs.push('CONFIG_STACK_TRACER')
  }
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
      if (config) needs.push(config)
    }
  }
  if (!f.instances && eventNames(d).length > 0) topLevel = true
  // Two events needing the same trigger name the same lack once.
  return { unmet: [...new Set(unmet)], needs: [...new Set(needs)], topLevel }
}
