import { NOTE_KEY, type Target } from '../kernel/target.js'
import { functionTrigger } from '../spec/name-schemas.js'
import type { TraceDeclaration } from '../spec/declaration.js'
import { holding, withDynamicEvents } from './locks.js'
import { functionTriggerRemoval, eventTriggersToRemove, restoreStackTracer, restoreTopLevel, TOP_LEVEL_FILES, topLevelUndo, type SavedStackTracer, type SavedState, type TopLevelUndo } from './toplevel.js'

/**
 * Undo notes: what kspec changes beyond its own `kspec_<pid>_*` objects, written on the
 * target (Target.writeNote) before the change and dropped once it is undone. A run killed
 * with `kill -9` cannot undo anything; its notes let the next kspec process do it (the
 * janitor's sweep, and whoever next takes the same machine-wide lock):
 *   - an arming at the top level: the top level as kspec found it, and what it added there;
 *   - an arming with hist actions or synthetic events: the triggers that keep its instance
 *     busy (rmdir gives EBUSY until they go, in order) and the synthetic events it defined,
 *     whose names are the user's, so no sweep by name could find them;
 *   - a run of the stack tracer: its switch, filter and maximum as kspec found them.
 */

const INSTANCE = String.raw`instances/kspec_\d+_\d+/`
const DIR = new RegExp(`^(${INSTANCE})?$`)
const EVENT_FILE = (leaf: string) => new RegExp(`^(${INSTANCE})?events/[\\w.-]+/[\\w.-]+/${leaf}$`)
const TRIGGER_FILE = EVENT_FILE('trigger')
const FILTER_FILE = EVENT_FILE('filter')
/** Text written back as it was read: anything but a NUL byte. */
const TEXT = /^[^\0]*$/
const SYNTHETIC = /^[A-Za-z_]\w*$/

interface ArmingNote extends TopLevelUndo {
  kind: 'arming'
  dir: string
  saved?: SavedState
  synthetic: string[]
  /** Probes defined in a group the declaration chose (no kspec name to find them by). */
  probes: { file: string; group: string; name: string }[]
}

const PROBE_FILES = ['kprobe_events', 'uprobe_events', 'dynamic_events']
const C_NAME = /^[A-Za-z_]\w{0,63}$/

interface StackNote {
  kind: 'stack'
  saved: SavedStackTracer
}

type Note = ArmingNote | StackNote

/**
 * A note as kspec writes it, or undefined: only kspec's own paths (its instances, event
 * files, the top-level files it saves) and names, since what a note says is written to
 * tracefs. Checked by hand: src/tracefs imports no package (docs/DESIGN.md).
 */
function readNote(v: unknown): Note | undefined {
  const o = v as Record<string, unknown>
  const str = (x: unknown, re: RegExp): x is string => typeof x === 'string' && re.test(x)
  const all = <T>(x: unknown, ok: (y: unknown) => y is T): x is T[] => Array.isArray(x) && x.every(ok)
  if (typeof o !== 'object' || o === null) return undefined
  if (o.kind === 'stack') {
    const s = o.saved as Record<string, unknown> | undefined
    if (typeof s !== 'object' || s === null || !str(s.enabled, /^\d+$/) || !str(s.maxSize, /^\d+$/) || !str(s.filter, TEXT)) return undefined
    return { kind: 'stack', saved: { enabled: s.enabled, maxSize: s.maxSize, filter: s.filter } }
  }
  if (o.kind !== 'arming' || !str(o.dir, DIR) || typeof o.snapshot !== 'boolean') return undefined
  if (!all(o.functionTriggers, (t): t is string => functionTrigger.safeParse(t).success)) return undefined
  if (!all(o.eventTriggers, (t): t is { file: string; trigger: string } => typeof t === 'object' && t !== null && str((t as { file: unknown }).file, TRIGGER_FILE) && str((t as { trigger: unknown }).trigger, /^[^\n\0]+$/))) return undefined
  if (!all(o.eventFilters, (f): f is string => str(f, FILTER_FILE)) || !all(o.synthetic, (n): n is string => str(n, SYNTHETIC))) return undefined
  const probes = o.probes ?? []
  if (!all(probes, (p): p is { file: string; group: string; name: string } => typeof p === 'object' && p !== null && PROBE_FILES.includes((p as { file: string }).file) && str((p as { group: unknown }).group, C_NAME) && !(p as { group: string }).group.startsWith('kspec_') && str((p as { name: unknown }).name, C_NAME))) return undefined
  const note: ArmingNote = { kind: 'arming', dir: o.dir, functionTriggers: o.functionTriggers, eventTriggers: o.eventTriggers, eventFilters: o.eventFilters, snapshot: o.snapshot, synthetic: o.synthetic, probes }
  if (o.saved !== undefined) {
    const files = (o.saved as { files?: unknown }).files
    if (typeof files !== 'object' || files === null) return undefined
    for (const [file, value] of Object.entries(files)) if (!(TOP_LEVEL_FILES.includes(file) || /^options\/[\w-]+$/.test(file)) || !str(value, TEXT)) return undefined
    note.saved = { files: { ...(files as Record<string, string>) } }
  }
  return note
}

/** What an arming holds that its note is made of. */
export interface Noted {
  decl: TraceDeclaration
  dir: string
  group: string
  probeGroup: string
  probes: { file: string; name: string }[]
  saved?: SavedState
  synthetic?: string[]
}

/** Whether an arming changes what needs a note: the top level, hist actions, synthetic events or function triggers. */
export function needsNote(a: Noted): boolean {
  const d = a.decl
  return a.dir === '' || d.probeGroup !== undefined || d.syntheticEvents.length > 0 || d.functionTriggers.length > 0 || d.events.some((e) => typeof e !== 'string' && e.triggers?.some((tr) => /^hist\b/.test(tr)))
}

/** The key of an arming's note: `<pid>-arming-<n>`, from its group `kspec_<pid>_<n>`. */
export const armingNoteKey = (a: Noted): string => a.group.replace(/^kspec_(\d+)_(\d+)$/, '$1-arming-$2')

/** Writes (or rewrites, as synthetic events are defined) the note of what undoes an arming. */
export async function noteArming(t: Target, a: Noted): Promise<void> {
  const top = topLevelUndo(a.decl)
  const note: ArmingNote = {
    kind: 'arming',
    dir: a.dir,
    saved: a.saved,
    functionTriggers: top.functionTriggers,
    eventTriggers: eventTriggersToRemove(a.decl, a.dir),
    // An instance's filters and snapshot go with it.
    eventFilters: a.dir === '' ? top.eventFilters : [],
    snapshot: a.dir === '' && top.snapshot,
    synthetic: a.synthetic ?? [],
    probes: a.decl.probeGroup === undefined ? [] : a.probes.map((p) => ({ file: p.file, group: a.probeGroup, name: p.name })),
  }
  await t.writeNote(armingNoteKey(a), JSON.stringify(note))
}

export const stackNoteKey = (): string => `${process.pid}-stack`

export async function noteStackTracer(t: Target, saved: SavedStackTracer): Promise<void> {
  await t.writeNote(stackNoteKey(), JSON.stringify({ kind: 'stack', saved } satisfies StackNote))
}

interface DeadNote<N extends Note> {
  key: string
  note: N
}

/** The notes of processes that are gone (or of `onlyPid`), read and checked; those that do not read are named in `unreadable`. */
export interface DeadNotes {
  armings: DeadNote<ArmingNote>[]
  stacks: DeadNote<StackNote>[]
  unreadable: string[]
}

/** The notes of processes that are gone (`dead`), read once for what undoes them below. */
export async function deadNotes(t: Target, dead: (pid: number) => Promise<boolean>): Promise<DeadNotes> {
  const out = { armings: [] as DeadNote<ArmingNote>[], stacks: [] as DeadNote<StackNote>[], unreadable: [] as string[] }
  for (const { key, text } of await t.notes()) {
    const pid = Number(NOTE_KEY.exec(key)?.[1])
    if (!(await dead(pid))) continue
    let note: Note | undefined
    try {
      note = readNote(JSON.parse(text))
    } catch {
      note = undefined
    }
    if (note === undefined) out.unreadable.push(key)
    else if (note.kind === 'arming') out.armings.push({ key, note })
    else out.stacks.push({ key, note })
  }
  return out
}

/** A note's owner is gone: not this process, and not running. */
export const deadOwner = (t: Target) => async (pid: number): Promise<boolean> => pid !== process.pid && !(await t.alive(pid))

/** What a sweep undid from dead runs' notes, in words, and the notes it could not read. */
export interface Undone {
  undone: string[]
  unreadable: string[]
}

/**
 * The first half of undoing dead runs' armings, before their instances are removed: the
 * triggers that would keep an instance busy, and the top level put back (under its lock,
 * unless the caller holds it: `topLevelLocked`). Returns the notes, for `finishArmings`.
 */
export async function undoArmings(t: Target, notes: DeadNotes, out: Undone, only?: 'toplevel' | { probeGroup: string }): Promise<DeadNote<ArmingNote>[]> {
  // Under the top level's lock, or a probe group's, only that is the caller's business.
  const topLevelLocked = only === 'toplevel'
  const armings = only === undefined ? notes.armings : only === 'toplevel' ? notes.armings.filter((n) => n.note.dir === '') : notes.armings.filter((n) => n.note.probes.some((p) => p.group === only.probeGroup))
  const failedTop = new Set<string>()
  for (const { key, note } of armings) {
    for (const trigger of note.functionTriggers) await t.append(`${note.dir}set_ftrace_filter`, functionTriggerRemoval(trigger)).catch(() => {})
    if (note.dir !== '') {
      for (const { file, trigger } of note.eventTriggers) await t.append(file, `!${trigger}`).catch(() => {})
      continue
    }
    const restore = async () => {
      const failed = note.saved ? await restoreTopLevel(t, note.saved, note) : []
      if (failed.length) failedTop.add(key)
      else out.undone.push('the top level as a dead run found it')
    }
    // A live run holding the top level is not disturbed: the note waits for the next sweep.
    await (topLevelLocked ? restore() : holding(t, 'toplevel', 5_000, restore)).catch(() => failedTop.add(key))
  }
  return armings.filter((n) => !failedTop.has(n.key))
}

/**
 * The second half, once the instances are gone: probes in chosen groups (under the group's
 * lock, unless the caller holds it: `groupLocked`), synthetic events, then the notes of
 * what is fully undone.
 */
export async function finishArmings(t: Target, armings: DeadNote<ArmingNote>[], out: Undone, groupLocked = false): Promise<void> {
  for (const { key, note } of armings) {
    let left = 0
    for (const group of new Set(note.probes.map((p) => p.group))) {
      const remove = () =>
        withDynamicEvents(t, async () => {
          for (const p of note.probes.filter((q) => q.group === group)) {
            // Enabled, a probe cannot go: off where the dead run had it on (its instance, if still there, and the top level).
            for (const dir of new Set([note.dir, ''])) await t.write(`${dir}events/${group}/${p.name}/enable`, '0').catch(() => {})
            await t.append(p.file, `-:${group}/${p.name}`).catch(() => {})
            if (await t.exists(`events/${group}/${p.name}`)) left++
            else out.undone.push(`probe ${group}/${p.name}`)
          }
        })
      await (groupLocked ? remove() : holding(t, `probe_group_${group}`, 5_000, remove)).catch(() => left++)
    }
    if (note.synthetic.length > 0) {
      await withDynamicEvents(t, async () => {
        for (const name of note.synthetic) {
          await t.append('synthetic_events', `!${name}`).catch(() => {})
          if (await t.exists(`events/synthetic/${name}`)) left++
          else out.undone.push(`synthetic event ${name}`)
        }
      })
    }
    const instanceLeft = note.dir !== '' && (await t.exists(note.dir.slice(0, -1)))
    if (left === 0 && !instanceLeft) await t.dropNote(key).catch(() => {})
  }
}

/** Puts the stack tracer back as a dead run found it (the caller holds its lock, or it is taken here). */
export async function undoStackTracers(t: Target, notes: DeadNotes, out: Undone, locked = false): Promise<void> {
  for (const { key, note } of notes.stacks) {
    const restore = async () => {
      if ((await restoreStackTracer(t, note.saved)).length === 0) {
        await t.dropNote(key)
        out.undone.push('the stack tracer as a dead run found it')
      }
    }
    await (locked ? restore() : holding(t, 'stack_tracer', 5_000, restore)).catch(() => {})
  }
}
