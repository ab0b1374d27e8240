import { HostTarget } from '../src/kernel/host.js'
import { Recorder } from '../src/tracefs/recorder.js'

/** Live tests drive this machine's tracefs: they need root, and fail (never skip) without it. */
export const host = new HostTarget()

/** kspec_<pid>_* instances and probe groups of this process still in tracefs. */
export async function ours(pid = process.pid): Promise<string[]> {
  await host.ready()
  const prefix = `kspec_${pid}_`
  const instances = (await host.list('instances')).filter((n) => n.startsWith(prefix))
  const probes = (await host.read('uprobe_events')).split('\n').filter((l) => l.includes(prefix))
  return [...instances, ...probes]
}

export const recorder = (): Recorder => new Recorder(host)
