import type { Target } from '../kernel/target.js'
import { TargetError } from '../errors.js'
import { withDynamicEvents } from './locks.js'

/** What a target's kernel offers, probed once per target. */
export interface Features {
  release: string
  tracers: string[]
  /** Tracers an instance offers (Debian 6.1: function nop); empty when instances are missing. */
  instanceTracers: string[]
  instances: boolean
  /** Tracers listed but refused on write, with the errno (the function tracer on some hosts: EPERM); see probeTracer. */
  refused: Map<string, string>
  /** Tracers already tried by selecting them. */
  probed: Set<string>
  kprobes: boolean
  uprobes: boolean
  options: Set<string>
  clocks: string[]
  /** The event trigger commands the kernel's README lists (hist with CONFIG_HIST_TRIGGERS, snapshot with CONFIG_TRACER_SNAPSHOT); undefined without a README. */
  eventTriggers: Set<string> | undefined
  /** Kernel modules can be loaded (/proc/modules exists: CONFIG_MODULES). */
  modules: boolean
  /** The function trigger commands the kernel's README lists under set_ftrace_filter (snapshot with CONFIG_TRACER_SNAPSHOT); undefined without them. */
  functionTriggers: Set<string> | undefined
  /** synthetic_events (CONFIG_SYNTH_EVENTS). */
  synthetic: boolean
  /** set_event_notrace_pid (Linux 5.8+): a scope of everything but some processes. */
  notracePids: boolean
  /** Event probes (`e:` in dynamic_events, Linux 5.15+, with kprobe or uprobe events built in). */
  eprobes: boolean
  /** Why defining an eprobe failed when tried (probeEprobes): the errno; this host lists `e:` in its README and refuses every one with EINVAL. */
  eprobesRefused?: string
  /** fprobes (`f:` in dynamic_events: CONFIG_FPROBE_EVENTS, Linux 5.19+ for function exits, 6.x). */
  fprobes: boolean
  /** Tracepoint probes (`t:` in dynamic_events, with fprobes, 6.5+). */
  tprobes: boolean
  /** Probe arguments by their BTF names (`<argname>` in the README: CONFIG_PROBE_EVENTS_BTF_ARGS, 6.8+), and fields through them (`->field`, 6.9+). */
  btfArgs: boolean
  btfFields: boolean
  /** The snapshot buffer's file (CONFIG_TRACER_SNAPSHOT). */
  snapshot: boolean
  /** The stack tracer's files (stack_trace, stack_max_size: CONFIG_STACK_TRACER). */
  stackTracer: boolean
  /** available_filter_functions can be read (function names can be checked there). */
  filterFunctions: boolean
  root: boolean
}

const cache = new WeakMap<Target, Promise<Features>>()

/**
 * Probes tracers (top level and inside an instance, by really selecting them), dynamic
 * event support, options and clocks.
 * @example (await probeFeatures(target)).tracers.includes('function_graph')
 */
export function probeFeatures(target: Target): Promise<Features> {
  let f = cache.get(target)
  if (!f) cache.set(target, (f = probe(target)))
  return f
}

async function probe(t: Target): Promise<Features> {
  await t.ready()
  const words = async (p: string): Promise<string[]> => (await t.read(p).catch(() => '')).split(/\s+/).filter(Boolean)
  const tracers = await words('available_tracers')
  const clocks = (await words('trace_clock')).map((c) => c.replace(/[[\]]/g, ''))
  const options = new Set(await t.list('options').catch(() => [] as string[]))
  const instances = await t.exists('instances')
  let instanceTracers: string[] = []
  if (instances) {
    const dir = `instances/kspec_${process.pid}_probe`
    await t.mkdir(dir)
    try {
      instanceTracers = await words(`${dir}/available_tracers`)
    } finally {
      await t.rmdir(dir)
    }
  }
  const readme = await t.read('README').catch(() => '')
  const filterFunctions = await t
    .read('available_filter_functions')
    .then(() => true)
    .catch(() => false)
  return {
    release: await t.release(),
    tracers,
    instanceTracers,
    instances,
    refused: new Map(),
    probed: new Set(),
    kprobes: await t.exists('kprobe_events'),
    stackTracer: await t.exists('stack_trace'),
    snapshot: await t.exists('snapshot'),
    notracePids: await t.exists('set_event_notrace_pid'),
    synthetic: await t.exists('synthetic_events'),
    eprobes: (await t.exists('dynamic_events')) && /^\s*e\[:\[<group>\/\]/m.test(readme),
    fprobes: (await t.exists('dynamic_events')) && /^\s*f\[:\[<group>\/\]\[<event>\]\] <func-name>/m.test(readme),
    tprobes: (await t.exists('dynamic_events')) && /^\s*t\[:\[<group>\/\]\[<event>\]\] <tracepoint>/m.test(readme),
    btfArgs: /<argname>/.test(readme),
    btfFields: readme.includes('<argname>[->field'),
    uprobes: await t.exists('uprobe_events'),
    options,
    clocks,
    filterFunctions,
    eventTriggers: eventTriggers(readme),
    functionTriggers: (await t.exists('set_ftrace_filter')) ? triggerCommands(readme, 'a command to perform when function is hit') : undefined,
    modules: (await t.modules().catch(() => undefined)) !== undefined,
    root: process.getuid?.() === 0,
  }
}

/**
 * The event trigger commands a kernel offers, as its README lists them under the event
 * files' `trigger` (the list ftracetest's `requires: "hist:":README` reads): `traceon`,
 * `traceoff`, `enable_event`, `disable_event`, `stacktrace`, and where built in,
 * `snapshot`, `hist`, `enable_hist`, `disable_hist`.
 */
export function eventTriggers(readme: string): Set<string> | undefined {
  return triggerCommands(readme, 'a command to perform when event is hit')
}

/** The commands the README lists after `heading` (its `trigger:` lines, up to `example:`). */
function triggerCommands(readme: string, heading: string): Set<string> | undefined {
  const section = readme.indexOf(heading)
  if (section === -1) return undefined
  const lines = readme.slice(section).split('\n')
  const first = lines.findIndex((l) => /^\s*trigger:/.test(l))
  if (first === -1) return undefined
  const out = new Set<string>()
  for (let i = first; i < lines.length && !/^\s*example:/.test(lines[i]); i++) {
    // `hist (see below)`: words in parentheses are the README's, not commands.
    for (const word of lines[i].replace(/^\s*trigger:/, '').replace(/\(.*?\)/g, '').split(/[\s,]+/)) {
      const command = /^[a-z_]+/.exec(word)?.[0]
      if (command) out.add(command)
    }
  }
  return out
}

/**
 * Whether the kernel really takes an eprobe, which its README may list and still refuse
 * (this host: EINVAL, with nothing in error_log): one is defined on sched_switch and
 * removed, once, only for declarations that ask for eprobes.
 */
export async function probeEprobes(t: Target, f: Features): Promise<void> {
  if (!f.eprobes || f.probed.has('eprobe')) return
  f.probed.add('eprobe')
  const name = `kspec_${process.pid}_probe/eprobe`
  await withDynamicEvents(t, () =>
    t.append('dynamic_events', `e:${name} sched.sched_switch`).then(
      () => t.append('dynamic_events', `-:${name}`),
      (e) => {
        if (e instanceof TargetError) f.eprobesRefused = e.code
        else throw e
      },
    ),
  )
}

/**
 * Whether the kernel really lets a listed tracer be selected (the host here lists the
 * function tracer and refuses it with EPERM): tried once, in a throw-away instance, only
 * for tracers a declaration asks for — selecting the function tracer patches every
 * function, which takes seconds under TCG.
 */
export async function probeTracer(t: Target, f: Features, tracer: string): Promise<void> {
  if (f.probed.has(tracer) || !f.tracers.includes(tracer)) return
  f.probed.add(tracer)
  const inInstance = f.instances && f.instanceTracers.includes(tracer)
  if (!inInstance) return
  const dir = `instances/kspec_${process.pid}_probe`
  await t.mkdir(dir)
  try {
    await t.write(`${dir}/tracing_on`, '0')
    await t.write(`${dir}/current_tracer`, tracer).catch((e) => {
      if (e instanceof TargetError) f.refused.set(tracer, e.code)
      else throw e
    })
    await t.write(`${dir}/current_tracer`, 'nop').catch(() => {})
  } finally {
    await t.rmdir(dir)
  }
}
