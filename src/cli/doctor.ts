import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load.js'
import { settingsFrom } from '../config/settings.js'
import { kernelConfig, type KernelConfig } from '../kernel/config.js'
import { selectTarget } from '../kernel/select.js'
import { probeFeatures, probeTracer, type Features } from '../tracefs/features.js'
import { FEATURE_CONFIG } from '../tracefs/requirements.js'
import { sweepLeftovers } from './leftovers.js'
import { UsageError } from './usage.js'

/** `kspec doctor [--clean]`: what the kernel under test offers, and how to get what it lacks. */
export async function doctorCommand(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({ args: argv, options: { clean: { type: 'boolean' }, kernel: { type: 'string' } } })
  } catch (e) {
    throw new UsageError((e as Error).message, 'usage: kspec doctor [--clean] [--kernel host|debian|debian-backports|PATH]')
  }
  const config = await kernelConfig(args.values.kernel ?? process.env.KSPEC_KERNEL ?? 'host').catch(() => undefined)
  const s = settingsFrom((await loadConfig()).config, { kernel: args.values.kernel ?? process.env.KSPEC_KERNEL })
  const target = selectTarget(s.kernel, s.qemu)
  try {
    const f = await probeFeatures(target)
    for (const tracer of f.tracers) if (tracer !== 'nop') await probeTracer(target, f, tracer)
    process.stdout.write(formatFeatures(f) + '\n\n' + formatConfig(config) + '\n')
    if (args.values.clean) {
      const swept = await sweepLeftovers(target)
      process.stdout.write(`cleaned: ${swept.instances.length} instance(s), ${swept.probes.length} probe(s), ${swept.undone.length} machine-wide change(s) put back, ${swept.processes.length} workload process(es), ${swept.folders.length} temporary folder(s) left by dead kspec runs${[...swept.instances, ...swept.probes, ...swept.undone, ...swept.processes.map((p) => `${p.comm} (pid ${p.pid})`), ...swept.folders].map((n) => `\n  ${n}`).join('')}\n`)
      if (swept.unreadableNotes.length) process.stdout.write(`left alone: ${swept.unreadableNotes.length} undo note(s) kspec could not read (${swept.unreadableNotes.join(', ')}): check what they were about (the top level, the stack tracer, synthetic events), then delete them from /run/kspec/undo\n`)
    }
    return 0
  } catch (e) {
    process.stderr.write(`kspec doctor: ${(e as Error).message}\n`)
    return 1
  } finally {
    await target.close()
  }
}

/** The feature table: one row per technique, with what to do where it is missing. */
export function formatFeatures(f: Features): string {
  const rows: [string, boolean, string][] = []
  const tracer = (name: string, fix: string): void => {
    const refused = f.refused.get(name)
    const ok = f.tracers.includes(name) && !refused
    rows.push([`${name} tracer`, ok, ok ? (f.instanceTracers.includes(name) ? 'per-test instances' : 'top level only (tests take turns under a lock)') : refused ? `listed, but selecting it fails with ${refused}: ${fix}` : fix])
  }
  tracer('function', 'a kernel with CONFIG_FUNCTION_TRACER, without lockdown; or run the specs under QEMU (kspec run --kernel debian)')
  tracer('function_graph', 'a kernel with CONFIG_FUNCTION_GRAPH_TRACER; or run the specs under QEMU (kspec run --kernel debian)')
  rows.push(['tracepoints (events/)', true, 'per-test instances'])
  rows.push(['kprobes', f.kprobes, f.kprobes ? 'kprobe_events' : 'a kernel with CONFIG_KPROBE_EVENTS; or QEMU (--kernel debian)'])
  rows.push(['uprobes', f.uprobes, f.uprobes ? 'uprobe_events' : 'a kernel with CONFIG_UPROBE_EVENTS'])
  rows.push(['fprobes, tprobes', f.fprobes, f.fprobes ? `f:${f.tprobes ? ' and t:' : ''} in dynamic_events` : 'a kernel with CONFIG_FPROBE_EVENTS; or QEMU (--kernel debian-backports)'])
  rows.push(['probe arguments by BTF name', f.btfArgs, f.btfArgs ? `<argname>${f.btfFields ? ', ->field' : ''}` : 'a 6.8+ kernel with CONFIG_PROBE_EVENTS_BTF_ARGS; or QEMU (--kernel debian-backports)'])
  const triggers = f.eventTriggers
  rows.push(['histogram triggers', triggers?.has('hist') ?? false, triggers?.has('hist') ? 'hist: event triggers' : 'a kernel with CONFIG_HIST_TRIGGERS; or QEMU (--kernel debian)'])
  rows.push(['snapshot triggers', triggers?.has('snapshot') ?? false, triggers?.has('snapshot') ? 'snapshot event triggers' : 'a kernel with CONFIG_TRACER_SNAPSHOT; or QEMU (--kernel debian)'])
  rows.push(['instances', f.instances, f.instances ? 'tests run isolated and concurrently' : 'none: every test takes the top level in turn'])
  rows.push(['stack traces', f.options.has('stacktrace'), 'options/stacktrace, stacktrace triggers'])
  rows.push(['function names checked in', true, f.filterFunctions ? 'available_filter_functions' : '/proc/kallsyms (available_filter_functions is not readable)'])
  rows.push(['root', f.root, f.root ? 'yes' : 'run kspec as root to record traces'])
  const width = Math.max(...rows.map((r) => r[0].length))
  return [`kernel ${f.release}`, `tracers: ${f.tracers.join(' ')}; in instances: ${f.instanceTracers.join(' ') || '-'}`, `clocks: ${f.clocks.join(' ')}`, '', ...rows.map(([name, ok, note]) => `${ok ? '✓' : '✗'} ${name.padEnd(width)}  ${note}`)].join('\n')
}

/** For each feature, the kernel option that provides it and whether this kernel's configuration sets it. */
export function formatConfig(config: KernelConfig | undefined): string {
  if (!config) return 'kernel configuration: not found (/proc/config.gz, /boot/config-<release>, the package\'s /boot/config-*, or a build tree\'s .config)'
  const width = Math.max(...FEATURE_CONFIG.map((r) => r.feature.length))
  const rows = FEATURE_CONFIG.map(({ feature, option }) => {
    const value = config.options.get(option)
    return `${value ? '✓' : '✗'} ${feature.padEnd(width)}  ${value ? `${option}=${value}` : `${option} is not set`}`
  })
  return [`kernel configuration (${config.file}):`, ...rows].join('\n')
}
