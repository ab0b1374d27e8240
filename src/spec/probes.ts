import { z } from 'zod'
import { DeclarationError } from '../errors.js'
import { keyedRecord, probeName } from './name-schemas.js'
import { kprobePlaceProblem, uprobePathProblem } from './syntax.js'

/**
 * A fetch argument as the kernel's probe syntax has it: `$arg1:s32`, `+0($arg2):string`,
 * `%di:x64`, `$retval`, `@sym`, `$comm`, `$stack0`.
 */
const fetchArg = z
  .string()
  .regex(
    /^(\+|-)?(\d+\()*(\$arg\d+|\$retval|\$comm|\$stack\d*|%[a-z0-9]+|@[A-Za-z_][\w.]*([+-]\d+)?|@0x[0-9a-fA-F]+|[+-]?0x[0-9a-fA-F]+)(\))*(:(s8|s16|s32|s64|u8|u16|u32|u64|x8|x16|x32|x64|string|ustring|symbol|symstr|char|b\d+@\d+\/\d+))?$/,
    'not a fetch argument: use $argN, $retval, %reg, @symbol, $comm, $stackN or +off(...), with an optional :type (s32, u64, x64, string, ...)',
  )

export const probeSchema = z.strictObject({
  type: z.enum(['kprobe', 'kretprobe', 'uprobe', 'uretprobe']),
  name: probeName,
  /** kprobes: a function (with optional +offset); uprobes: the binary's path. */
  at: z.string().min(1),
  /** uprobes: a symbol resolved from the ELF symbol table, or a file offset. */
  symbol: z.string().regex(/^[A-Za-z_][\w.@]*$/).optional(),
  offset: z.number().int().nonnegative().optional(),
  args: keyedRecord(fetchArg, /^[A-Za-z_][A-Za-z0-9_]*$/, 'argument names are C identifiers').default({}),
}).superRefine((p, ctx) => {
  // `at` goes into kprobe_events or uprobe_events as it stands: only what their syntax holds.
  const problem = p.type === 'kprobe' || p.type === 'kretprobe' ? kprobePlaceProblem(p.at) : uprobePathProblem(p.at)
  if (problem) ctx.addIssue({ code: 'custom', path: ['at'], message: `${JSON.stringify(p.at)}: ${problem}` })
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
