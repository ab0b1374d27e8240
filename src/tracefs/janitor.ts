import type { Target } from '../kernel/target.js'
import { deadNotes, deadOwner, finishArmings, undoArmings, undoStackTracers } from './undo.js'

const OWNED = /^kspec_(\d+)_\w+$/

export interface Swept {
  instances: string[]
  probes: string[]
  /** What dead runs' undo notes put back or removed (src/tracefs/undo.ts), in words. */
  undone: string[]
  /** Notes that did not read as kspec writes them, left where they are. */
  unreadableNotes: string[]
}

/**
 * Removes what dead kspec runs left behind (a `kill -9`'d recording): `kspec_<pid>_*`
 * instances and probe groups whose process is gone, and what their undo notes name (the
 * top level, the stack tracer, synthetic events: src/tracefs/undo.ts). Live runs' objects
 * are left alone. Instances go first, since a probe cannot be removed while an instance
 * enables it.
 */
export async function sweep(t: Target, onlyPid?: number): Promise<Swept> {
  const dead = async (name: string): Promise<boolean> => {
    const m = OWNED.exec(name)
    if (!m) return false
    const pid = Number(m[1])
    return onlyPid !== undefined ? pid === onlyPid : !(await t.alive(pid))
  }
  const notes = await deadNotes(t, onlyPid !== undefined ? async (pid) => pid === onlyPid : deadOwner(t))
  const out = { undone: [] as string[], unreadable: notes.unreadable }
  // Triggers that keep a dead run's instance busy go first, and the top level it changed is put back.
  const armings = await undoArmings(t, notes, out)
  const swept: Swept = { instances: [], probes: [], undone: out.undone, unreadableNotes: out.unreadable }
  const instances = await t.list('instances').catch(() => [] as string[])
  for (const name of instances) {
    if (!(await dead(name))) continue
    const dir = `instances/${name}`
    for (const [file, value] of [['tracing_on', '0'], ['set_event', ''], ['current_tracer', 'nop']]) await t.write(`${dir}/${file}`, value).catch(() => {})
    await t.rmdir(dir).then(
      () => swept.instances.push(name),
      () => {},
    )
  }
  await finishArmings(t, armings, out)
  // dynamic_events lists every kind (kretprobes with maxactive as `r10:`, eprobes as `e:`);
  // kernels without it have only the two older files.
  const files = (await t.exists('dynamic_events')) ? ['dynamic_events'] : ['kprobe_events', 'uprobe_events']
  for (const file of files) {
    const defs = (await t.read(file).catch(() => '')).split('\n').filter(Boolean)
    for (const def of defs) {
      const m = /^[pre]\d*:([^/\s]+)\/(\S+)/.exec(def)
      if (!m || !(await dead(m[1]))) continue
      await t.write(`events/${m[1]}/${m[2]}/enable`, '0').catch(() => {})
      await t.append(file, `-:${m[1]}/${m[2]}`).then(
        () => swept.probes.push(`${m[1]}/${m[2]}`),
        () => {},
      )
    }
  }
  await undoStackTracers(t, notes, out)
  return swept
}
