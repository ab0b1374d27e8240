import { z } from 'zod'
import { DeclarationError } from '../errors.js'
import { keyedRecord, probeName } from './name-schemas.js'
import { fetchArgProblem, MAX_ARG_NAME } from './fetch-args.js'
import { kprobePlaceProblem, uprobePathProblem } from './syntax.js'

/** A fetch argument's text; what the kernel makes of it is checked with the probe's type (fetch-args.ts). */
const fetchArg = z.string().refine((s) => !/[\s\x00-\x1f\x7f]/.test(s), 'a fetch argument holds no whitespace or control characters (the kernel splits arguments on spaces)')

export const probeSchema = z.strictObject({
  type: z.enum(['kprobe', 'kretprobe', 'uprobe', 'uretprobe']),
  name: probeName,
  /** kprobes: a function (with optional +offset); uprobes: the binary's path. */
  at: z.string().min(1),
  /** uprobes: a symbol resolved from the ELF symbol table, or a file offset. */
  symbol: z.string().regex(/^[A-Za-z_][\w.@]*$/).optional(),
  offset: z.number().int().nonnegative().optional(),
  args: keyedRecord(fetchArg, new RegExp(`^[A-Za-z_][A-Za-z0-9_]{0,${MAX_ARG_NAME - 1}}$`), `argument names are C identifiers of at most ${MAX_ARG_NAME} characters`).default({}),
}).superRefine((p, ctx) => {
  // `at` goes into kprobe_events or uprobe_events as it stands: only what their syntax holds.
  const problem = p.type === 'kprobe' || p.type === 'kretprobe' ? kprobePlaceProblem(p.at) : uprobePathProblem(p.at)
  if (problem) ctx.addIssue({ code: 'custom', path: ['at'], message: `${JSON.stringify(p.at)}: ${problem}` })
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

function check(p: unknown): Probe {
  const r = probeSchema.safeParse(p)
  if (!r.success) throw new DeclarationError(`invalid probe: ${z.prettifyError(r.error)}`)
  return r.data
}

const defaultName = (s: string, suffix = ''): string => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1') + suffix

/**
 * A kprobe on a kernel function, with fetch args that are correct on x86-64.
 * @example kprobe('do_sys_openat2', { dfd: '$arg1:s32', fname: '+0($arg2):string' })
 */
export function kprobe(fn: string, args: Args = {}, name = defaultName(fn)): Probe {
  return check({ type: 'kprobe', name, at: fn, args })
}

/** @example kretprobe('do_sys_openat2', { ret: '$retval:s64' }) */
export function kretprobe(fn: string, args: Args = { ret: '$retval' }, name = defaultName(fn, '_ret')): Probe {
  return check({ type: 'kretprobe', name, at: fn, args })
}

/**
 * A uprobe on a symbol (resolved from the ELF symbol table when armed) or an offset.
 * @example uprobe('/lib/x86_64-linux-gnu/libc.so.6', 'open', { path: '+0(%di):string' })
 */
export function uprobe(binary: string, symbolOrOffset: string | number, args: Args = {}, name?: string): Probe {
  const where = typeof symbolOrOffset === 'number' ? { offset: symbolOrOffset } : { symbol: symbolOrOffset }
  return check({ type: 'uprobe', name: name ?? defaultName(typeof symbolOrOffset === 'string' ? symbolOrOffset : `off_${symbolOrOffset.toString(16)}`), at: binary, ...where, args })
}

/** @example uretprobe('/lib/x86_64-linux-gnu/libc.so.6', 'open', { ret: '$retval:s32' }) */
export function uretprobe(binary: string, symbolOrOffset: string | number, args: Args = { ret: '$retval' }, name?: string): Probe {
  const where = typeof symbolOrOffset === 'number' ? { offset: symbolOrOffset } : { symbol: symbolOrOffset }
  return check({ type: 'uretprobe', name: name ?? defaultName(typeof symbolOrOffset === 'string' ? symbolOrOffset : `off_${symbolOrOffset.toString(16)}`, '_ret'), at: binary, ...where, args })
}
