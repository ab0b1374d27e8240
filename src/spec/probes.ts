import { z } from 'zod'
import { DeclarationError } from '../errors.js'
import { keyedRecord, probeName } from './name-schemas.js'
import { fetchArgProblem, MAX_ARG_NAME } from './fetch-args.js'
import { expressionProblem, kprobePlaceProblem, uprobePathProblem } from './syntax.js'

/** An eprobe's attached event, as dynamic_events takes it: `system.event`. */
const eprobeEventProblem = (at: string): string | undefined =>
  /^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(at) ? undefined : 'an eprobe attaches to one event, written system.event (or system:event to eprobe()), e.g. syscalls.sys_enter_openat'

/** A fetch argument's text; what the kernel makes of it is checked with the probe's type (fetch-args.ts). */
const fetchArg = z.string().refine((s) => !/[\s\x00-\x1f\x7f]/.test(s), 'a fetch argument holds no whitespace or control characters (the kernel splits arguments on spaces)')

export const probeSchema = z.strictObject({
  type: z.enum(['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'eprobe', 'fprobe', 'fretprobe', 'tprobe']),
  name: probeName,
  /** kprobes: a function (with optional +offset); uprobes: the binary's path. */
  at: z.string().min(1),
  /** uprobes: a symbol resolved from the ELF symbol table, or a file offset. */
  symbol: z.string().regex(/^[A-Za-z_][\w.@]*$/).optional(),
  offset: z.number().int().nonnegative().optional(),
  /** kretprobes: how many calls may be in flight at once (`r<maxactive>:`); the kernel's default when absent. */
  maxactive: z.number().int().min(1, 'maxactive is at least 1').max(4096, 'maxactive is at most 4096 (KRETPROBE_MAXACTIVE_MAX)').optional(),
  /** Return probes written as `p:… PLACE%return` instead of `r:… PLACE` (the kernel lists both as `r`). */
  returnSuffix: z.boolean().optional(),
  /** eprobes: a filter on the attached event's fields (`if <filter>`), not on the eprobe's own arguments. */
  filter: z.string().min(1).optional(),
  /** `$arg*`: every argument of the function (or tracepoint), named as BTF names them (Linux 6.8+ with CONFIG_PROBE_EVENTS_BTF_ARGS). */
  allArgs: z.boolean().optional(),
  args: keyedRecord(fetchArg, new RegExp(`^[A-Za-z_][A-Za-z0-9_]{0,${MAX_ARG_NAME - 1}}$`), `argument names are C identifiers of at most ${MAX_ARG_NAME} characters`).default({}),
}).superRefine((p, ctx) => {
  // `at` goes into kprobe_events or uprobe_events as it stands: only what their syntax holds.
  const problem =
    p.type === 'eprobe' ? eprobeEventProblem(p.at)
    : p.type === 'kprobe' || p.type === 'kretprobe' ? kprobePlaceProblem(p.at)
    : p.type === 'fprobe' || p.type === 'fretprobe' ? fprobePlaceProblem(p.at)
    : p.type === 'tprobe' ? tprobePlaceProblem(p.at)
    : uprobePathProblem(p.at)
  if (problem) ctx.addIssue({ code: 'custom', path: ['at'], message: `${JSON.stringify(p.at)}: ${problem}` })
  if (p.allArgs && !['kprobe', 'fprobe', 'fretprobe', 'tprobe'].includes(p.type)) ctx.addIssue({ code: 'custom', path: ['allArgs'], message: `$arg* takes every argument of a function or tracepoint by its BTF name: a kprobe at a function's entry, an fprobe or a tprobe's, not a ${p.type}'s` })
  if (p.returnSuffix && p.type !== 'kretprobe' && p.type !== 'uretprobe') ctx.addIssue({ code: 'custom', path: ['returnSuffix'], message: "%return makes a return probe: use kretprobe() or uretprobe() with { syntax: '%return' }" })
  if (p.returnSuffix && p.maxactive !== undefined) ctx.addIssue({ code: 'custom', path: ['maxactive'], message: 'maxactive goes with r<maxactive>:, not with %return: drop one' })
  if (p.maxactive !== undefined && p.type !== 'kretprobe') ctx.addIssue({ code: 'custom', path: ['maxactive'], message: 'maxactive is a kretprobe\'s: use kretprobe(fn, args, name, { maxactive })' })
  if (p.filter !== undefined) {
    if (p.type !== 'eprobe') ctx.addIssue({ code: 'custom', path: ['filter'], message: 'only an eprobe takes a filter in its definition; filter other events with events: [{ name, filter }]' })
    const bad = expressionProblem(p.filter)
    if (bad) ctx.addIssue({ code: 'custom', path: ['filter'], message: `the filter ${JSON.stringify(p.filter)} cannot be written as it is: ${bad}` })
  }
  // Each argument as the kernel would parse it: refused here with the kernel's words and caret, not at arming.
  const offset = /\+(0x[0-9a-fA-F]+|\d+)$/.exec(p.at)?.[1]
  for (const [name, body] of Object.entries(p.args)) {
    if (/[\s\x00-\x1f\x7f]/.test(body)) continue
    let problem = fetchArgProblem(body, p.type)
    if (!problem && p.type === 'kprobe' && offset !== undefined && Number(offset) !== 0 && /(^|[(])\$arg\d/.test(body)) {
      problem = { message: `$argN is a kprobe's at a function's entry, and this one is at ${p.at}: read the registers instead (%di, %si, …) (BAD_VAR)`, at: body.indexOf('$arg') }
    }
    if (problem) ctx.addIssue({ code: 'custom', path: ['args', name], message: `${name}=${body}: ${problem.message}\n    ${name}=${body}\n    ${' '.repeat(name.length + 1 + problem.at)}^` })
  }
  if ((p.type === 'uprobe' || p.type === 'uretprobe') && (p.symbol === undefined) === (p.offset === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['symbol'], message: 'a uprobe needs a symbol or an offset, not both' })
  }
})

export type Probe = z.infer<typeof probeSchema>
type Args = Record<string, string>
/** Fetch arguments by name, or `'$arg*'` for every argument by its BTF name. */
type BtfArgs = Args | '$arg*'
const argsOf = (args: BtfArgs): { args: Args; allArgs?: true } => (args === '$arg*' ? { args: {}, allArgs: true } : { args })

function check(p: unknown): Probe {
  const r = probeSchema.safeParse(p)
  if (!r.success) throw new DeclarationError(`invalid probe: ${z.prettifyError(r.error)}`)
  return r.data
}

/** An fprobe goes on a function by its name (no offset: it is the function's entry or exit). */
const fprobePlaceProblem = (at: string): string | undefined =>
  /^([A-Za-z_][\w.]*:)?[A-Za-z_][\w.]*$/.test(at) ? undefined : 'an fprobe goes on a kernel function by its name, at its entry or exit: no offset or address (e.g. vfs_read; MODULE:function for a module\'s)'
/** A tprobe goes on a tracepoint by its name, as the kernel names it (`sched_switch`, not `sched:sched_switch`). */
const tprobePlaceProblem = (at: string): string | undefined =>
  /^[A-Za-z_]\w*$/.test(at) ? undefined : 'a tprobe goes on a tracepoint by its name (e.g. sched_switch, kfree), without its system'

const defaultName = (s: string, suffix = ''): string => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1') + suffix

/**
 * A kprobe on a kernel function, with fetch args that are correct on x86-64.
 * @example kprobe('do_sys_openat2', { dfd: '$arg1:s32', fname: '+0($arg2):string' })
 */
export function kprobe(fn: string, args: BtfArgs = {}, name = defaultName(fn)): Probe {
  return check({ type: 'kprobe', name, at: fn, ...argsOf(args) })
}

/**
 * `maxactive`: how many calls of fn may be in flight at once (`r<maxactive>:`, up to 4096);
 * calls beyond it are missed (the probe's nmissed in kprobe_profile).
 * @example kretprobe('do_sys_openat2', { ret: '$retval:s64' })
 * @example kretprobe('vfs_read', { ret: '$retval' }, 'read_ret', { maxactive: 64 })
 */
export function kretprobe(fn: string, args: Args = { ret: '$retval' }, name = defaultName(fn, '_ret'), options: { maxactive?: number; syntax?: 'r' | '%return' } = {}): Probe {
  return check({ type: 'kretprobe', name, at: fn, args, ...(options.maxactive !== undefined ? { maxactive: options.maxactive } : {}), ...(options.syntax === '%return' ? { returnSuffix: true } : {}) })
}

/**
 * An eprobe: a new event made from another event's fields, when that event fires
 * (dynamic_events' `e:`), with an optional filter on the attached event's fields.
 * @example eprobe('syscalls:sys_enter_openat', { file: '+0($filename):ustring' }, 'open_file')
 */
export function eprobe(event: string, args: Args = {}, name?: string, options: { filter?: string } = {}): Probe {
  const at = event.replace(':', '.')
  return check({ type: 'eprobe', name: name ?? defaultName(at.split('.')[1] ?? at, '_e'), at, args, ...(options.filter !== undefined ? { filter: options.filter } : {}) })
}

/**
 * A uprobe on a symbol (resolved from the ELF symbol table when armed) or an offset.
 * @example uprobe('/lib/x86_64-linux-gnu/libc.so.6', 'open', { path: '+0(%di):string' })
 */
export function uprobe(binary: string, symbolOrOffset: string | number, args: Args = {}, name?: string): Probe {
  const where = typeof symbolOrOffset === 'number' ? { offset: symbolOrOffset } : { symbol: symbolOrOffset }
  return check({ type: 'uprobe', name: name ?? defaultName(typeof symbolOrOffset === 'string' ? symbolOrOffset : `off_${symbolOrOffset.toString(16)}`), at: binary, ...where, args })
}

/**
 * `{ syntax: '%return' }` writes it as `p:… PATH:OFFSET%return` (Linux 5.13+), the same probe as `r:`.
 * @example uretprobe('/lib/x86_64-linux-gnu/libc.so.6', 'open', { ret: '$retval:s32' })
 */
export function uretprobe(binary: string, symbolOrOffset: string | number, args: Args = { ret: '$retval' }, name?: string, options: { syntax?: 'r' | '%return' } = {}): Probe {
  const where = typeof symbolOrOffset === 'number' ? { offset: symbolOrOffset } : { symbol: symbolOrOffset }
  return check({ type: 'uretprobe', name: name ?? defaultName(typeof symbolOrOffset === 'string' ? symbolOrOffset : `off_${symbolOrOffset.toString(16)}`, '_ret'), at: binary, ...where, args, ...(options.syntax === '%return' ? { returnSuffix: true } : {}) })
}

/**
 * An fprobe: a function's entry through ftrace (dynamic_events' `f:`, Linux 6.x with
 * CONFIG_FPROBE_EVENTS), cheaper than a kprobe. Its arguments are fetched as a kprobe's
 * (`$argN`, registers) or, where the kernel has BTF (CONFIG_PROBE_EVENTS_BTF_ARGS), by
 * name: `{ count: 'count' }`, a field through a pointer `file->f_flags`, or `'$arg*'` for
 * all of them. The default name is the kernel's: `<fn>__entry`.
 * @example fprobe('vfs_read', { count: 'count', flags: 'file->f_flags' })
 * @example fprobe('kfree', '$arg*')
 */
export function fprobe(fn: string, args: BtfArgs = {}, name = defaultName(fn, '__entry')): Probe {
  return check({ type: 'fprobe', name, at: fn, ...argsOf(args) })
}

/**
 * An fprobe at a function's exit (`f:… fn%return`): `$retval` (a field through it,
 * `$retval->name:string`, with BTF) and, on kernels that keep them (6.10+), the entry's
 * `$argN`. The default name is the kernel's: `<fn>__exit`.
 * @example fretprobe('getname_flags', { path: '$retval->name:string' })
 */
export function fretprobe(fn: string, args: BtfArgs = { ret: '$retval' }, name = defaultName(fn, '__exit')): Probe {
  return check({ type: 'fretprobe', name, at: fn, ...argsOf(args) })
}

/**
 * A tprobe: a probe on a tracepoint itself (`t:`), including those no trace event shows,
 * its arguments fetched by their BTF names (`ptr`, `p->pid`) or `'$arg*'`.
 * @example tprobe('sched_switch', { next: 'next->pid' })
 */
export function tprobe(tracepoint: string, args: BtfArgs = {}, name = defaultName(tracepoint)): Probe {
  return check({ type: 'tprobe', name, at: tracepoint, ...argsOf(args) })
}
