import type { Target } from '../kernel/target.js'
import { LeakError } from '../errors.js'
import { releaseStackTracer, type Arming } from './arm.js'
import { eventTriggersToRemove, functionTriggerRemoval, restoreTopLevel, topLevelUndo } from './toplevel.js'
import { withDynamicEvents } from './locks.js'
import { armingNoteKey, needsNote } from './undo.js'

/**
 * Removes what an arming created, in dependency order: tracing off, events off, the
 * function tracer's options while it is still selected, the tracer, the instance, then
 * probe definitions (the kernel refuses to remove a probe some instance still enables).
 * Every step runs even when one fails; failures are reported together at the end.
 */
export async function teardown(t: Target, a: Arming): Promise<void> {
  const failed: string[] = []
  const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn()
    } catch (e) {
      failed.push(`${what}: ${(e as Error).message}`)
    }
  }
  // The spawner is idle and owns nothing in tracefs: it ends while the instance goes.
  const spawnerDone = step('stop the workload spawner', async () => a.spawner?.close())
  if (a.dir) {
    if (!a.stopped) await step('tracing_on', () => t.write(`${a.dir}tracing_on`, '0'))
    for (const trigger of a.decl.functionTriggers) await step(`remove ${trigger}`, () => t.append(`${a.dir}set_ftrace_filter`, functionTriggerRemoval(trigger)))
    // Histograms that share variables keep their instance busy until removed in order.
    if (a.synthetic?.length || a.decl.events.some((e) => typeof e !== 'string' && e.triggers?.some((tr) => /^hist\b/.test(tr)))) {
      for (const { file, trigger } of eventTriggersToRemove(a.decl, a.dir)) await step(`remove ${trigger}`, () => t.append(file, `!${trigger}`))
    }
    await step('set_event', () => t.write(`${a.dir}set_event`, ''))
    for (const p of a.probes) await step(`disable ${p.name}`, () => t.write(`${a.dir}events/${a.probeGroup}/${p.name}/enable`, '0'))
    if (a.decl.funcStackTrace) await step('func_stack_trace', () => t.write(`${a.dir}options/func_stack_trace`, '0'))
    if (a.decl.tracer !== 'nop') await step('current_tracer', () => t.write(`${a.dir}current_tracer`, 'nop'))
    await step(`rmdir ${a.dir}`, () => rmdirRetry(t, a.dir.slice(0, -1)))
  } else if (a.saved) {
    for (const p of a.probes) await step(`disable ${p.name}`, () => t.write(`events/${a.probeGroup}/${p.name}/enable`, '0'))
    const notRestored = await restoreTopLevel(t, a.saved, topLevelUndo(a.decl))
    if (notRestored.length) failed.push(`could not restore ${notRestored.join(', ')}`)
  }
  await spawnerDone
  // Synthetic events last: the instance (or the top level's triggers) that fired them is gone.
  if (a.synthetic?.length) {
    const names = a.synthetic
    await withDynamicEvents(t, async () => {
      for (const name of names) await step(`remove synthetic event ${name}`, () => t.append('synthetic_events', `!${name}`))
    })
  }
  // A run cut short (a signal, a failed start) may still hold the stack tracer.
  await step('put the stack tracer back', () => releaseStackTracer(t, a))
  if (a.probes.length > 0) {
    await withDynamicEvents(t, async () => {
      for (const p of a.probes) await step(`remove probe ${a.probeGroup}/${p.name}`, () => t.append(p.file, `-:${a.probeGroup}/${p.name}`))
    })
  }
  for (const release of a.heldLocks ?? []) await release()
  // Undone: the note goes. Kept when something was not, for the sweep after this process ends.
  if (failed.length === 0 && needsNote(a)) await step('drop the undo note', () => t.dropNote(armingNoteKey(a)))
  await a.releaseLock?.()
  if (failed.length) throw new LeakError(`kspec could not fully remove what it created for this test:\n  ${failed.join('\n  ')}\nRun \`kspec doctor --clean\` to remove kspec leftovers.`)
}

/** rmdir of an instance fails with EBUSY while a reader (trace_pipe) still has it open. */
async function rmdirRetry(t: Target, dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await t.rmdir(dir)
    } catch (e) {
      if ((e as { code?: string }).code !== 'EBUSY' || i >= 20) throw e
      await new Promise((r) => setTimeout(r, 10 * (i + 1)))
    }
  }
}
