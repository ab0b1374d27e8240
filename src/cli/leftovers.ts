import { sweepLeaves } from '../kernel/cgroup.js'
import type { Target } from '../kernel/target.js'
import { sweepPrivateDirs } from '../tempdir.js'
import { sweep } from '../tracefs/janitor.js'

export interface Leftovers {
  instances: string[]
  probes: string[]
  /** What dead runs' undo notes put back (the top level, the stack tracer) or removed (synthetic events). */
  undone: string[]
  unreadableNotes: string[]
  processes: { pid: number; comm: string }[]
  folders: string[]
}

/**
 * Removes what kspec processes that are gone left behind: instances and probes in
 * tracefs, workloads still running in their cgroup leaves, temporary folders. Run at the
 * end of every `kspec run` (a worker killed under a test is swept in the same run;
 * `keepFinished` spares the traces of workers that ended normally, which the run's JUnit
 * report points at) and by `kspec doctor --clean`. Live processes' things are never touched.
 */
export async function sweepLeftovers(target: Target, options: { keepFinished?: boolean } = {}): Promise<Leftovers> {
  const [processes, folders] = await Promise.all([sweepLeaves(), sweepPrivateDirs(options)])
  const tracefs = await target.ready().then(() => sweep(target), () => ({ instances: [], probes: [], undone: [], unreadableNotes: [] }))
  return { ...tracefs, processes, folders }
}

/** `removed what dead kspec processes left: 1 instance(s), 1 probe(s), 1 process(es) (sleep 123), 2 folder(s)`, or '' for nothing. */
export function describeLeftovers(l: Leftovers): string {
  const parts = [
    l.instances.length && `${l.instances.length} instance(s) (${l.instances.join(', ')})`,
    l.probes.length && `${l.probes.length} probe(s) (${l.probes.join(', ')})`,
    l.undone.length && `put back or removed ${l.undone.join(', ')}`,
    l.processes.length && `${l.processes.length} workload process(es) still running (${l.processes.map((p) => `${p.comm} ${p.pid}`).join(', ')})`,
    l.folders.length && `${l.folders.length} temporary folder(s)`,
  ].filter(Boolean)
  const removed = parts.length ? `removed what dead kspec processes left: ${parts.join(', ')}` : ''
  // A note kspec cannot read is not acted on: what it would undo is named for the user to check.
  const unread = l.unreadableNotes.length ? `kspec left alone ${l.unreadableNotes.length} undo note(s) it could not read (${l.unreadableNotes.join(', ')}, in /run/kspec/undo): check the tracing state they were about (the top level, the stack tracer, synthetic events) and delete them` : ''
  return [removed, unread].filter(Boolean).join('\n')
}
