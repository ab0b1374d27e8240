/**
 * A probe's fetch arguments checked as the kernel parses them (kernel/trace/trace_probe.c,
 * `traceprobe_parse_probe_arg_body` and `parse_probe_arg`), so what kspec refuses is what
 * the kernel refuses, with the same place: `at` is where the kernel's error_log puts its
 * caret, counted from the start of the argument's body. What depends on the kernel's
 * version (the types it knows, `$argN`) is left to the kernel, or to the README check of
 * src/tracefs/requirements.ts; x86-64 register names.
 */

export type ProbeType = 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe' | 'eprobe' | 'fprobe' | 'fretprobe' | 'tprobe'

/** Probes on kernel code: they read kernel memory (@SYMBOL), and names from BTF where the kernel has it. */
const KERNEL_PROBES: readonly ProbeType[] = ['kprobe', 'kretprobe', 'eprobe', 'fprobe', 'fretprobe', 'tprobe']
/** Probes whose arguments may be named as BTF names them (`count`, `file->f_flags`, `$retval->name`): Linux 6.8+ with CONFIG_PROBE_EVENTS_BTF_ARGS, which the kernel checks. */
const BTF_PROBES: readonly ProbeType[] = ['kprobe', 'kretprobe', 'fprobe', 'fretprobe', 'tprobe']
/**
 * Whether an argument's body names what it fetches as BTF names it (a bare name, or fields
 * through `$retval`/`$argN`): what needs CONFIG_PROBE_EVENTS_BTF_ARGS.
 */
export const namesByBtf = (body: string): boolean => /^[A-Za-z_]/.test(body) || /^\$(retval|arg\d+)(->|\.)/.test(body)

/** A BTF name, with fields through pointers (`->`) or members (`.`). */
const BTF_NAME = /^[A-Za-z_]\w*((->|\.)[A-Za-z_]\w*)*$/

export interface FetchArgProblem {
  /** The kernel's error (its error_log words), and what to write instead. */
  message: string
  /** Where in the body the kernel's caret goes. */
  at: number
}

/** MAX_ARGSTR_LEN, MAX_ARRAY_LEN, FETCH_INSN_MAX, PARAM_MAX_STACK (THREAD_SIZE / 8 on x86-64), MAX_ARG_NAME_LEN. */
const MAX_BODY = 63
const MAX_ARRAY = 64
const INSN_MAX = 16
const MAX_STACK = 2048
export const MAX_ARG_NAME = 32

/** regs_query_register_offset() on x86-64. */
const REGISTERS = new Set(['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'ip', 'flags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs', 'orig_ax'])

/** Types every kernel since 5.x knows; others (char, symstr, …) are the kernel's to accept. */
export const BASIC_TYPES = ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'x8', 'x16', 'x32', 'x64', 'string', 'ustring', 'symbol']
/** Types newer kernels added (6.2+; %pd and %pD, a dentry's and a file's name, 6.8+): syntactically fine, the kernel judges them. */
export const NEWER_TYPES = ['char', 'symstr', '%pd', '%pD']

class Refused extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message)
  }
}

const fail = (at: number, message: string): never => {
  throw new Refused(message, at)
}

/** kstrtol/kstrtoul with base 0: decimal, 0x hex, 0 octal; a sign only where signed. */
const isInteger = (s: string, signed: boolean): boolean => (signed ? /^[+-]?(0x[0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/ : /^\+?(0x[0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/).test(s)
const integer = (s: string): number => {
  const m = /^([+-]?)(0x[0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(s)!
  const digits = m[2]
  const n = digits.startsWith('0x') ? parseInt(digits, 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : parseInt(digits, 10)
  return m[1] === '-' ? -n : n
}

interface Parsed {
  /** What the innermost fetch is (for :string and dereference checks). */
  kind: 'comm' | 'imm' | 'imm-string' | 'deref' | 'reg' | 'stack' | 'arg' | 'retval' | 'mem' | 'file' | 'field' | 'btf'
  /** Fetch instructions used so far. */
  ops: number
}

/**
 * Why the kernel would refuse this fetch argument's body (`+0($arg2):string`), or
 * undefined when it would take it.
 */
export function fetchArgProblem(body: string, probe: ProbeType): FetchArgProblem | undefined {
  try {
    check(body, probe)
    return undefined
  } catch (e) {
    if (e instanceof Refused) return { message: e.message, at: e.at }
    throw e
  }
}

function check(body: string, probe: ProbeType): void {
  if (body.length > MAX_BODY) fail(0, `the argument is longer than ${MAX_BODY} characters (ARG_TOO_LONG): fetch less, or split it`)
  if (body.length === 0) fail(0, 'the argument is empty (NO_ARG_BODY)')
  let arg = body
  let type: string | undefined
  let typeAt = 0
  const colon = body.indexOf(':')
  if (colon !== -1) {
    arg = body.slice(0, colon)
    typeAt = colon + 1
    type = body.slice(typeAt)
    const open = type.indexOf('[')
    if (open !== -1) {
      const countAt = typeAt + open + 1
      const rest = type.slice(open + 1)
      const close = rest.indexOf(']')
      if (close === -1) fail(countAt + rest.length, 'the array size has no "]" (ARRAY_NO_CLOSE)')
      if (close !== rest.length - 1) fail(countAt + close + 1, 'nothing may follow an array\'s "]" (BAD_ARRAY_SUFFIX)')
      const count = rest.slice(0, close)
      if (!isInteger(count, false) || integer(count) === 0) fail(countAt, `the array size "${count}" is not a number ≥ 1 (BAD_ARRAY_NUM)`)
      if (integer(count) > MAX_ARRAY) fail(countAt, `an array holds at most ${MAX_ARRAY} elements (ARRAY_TOO_BIG)`)
      type = type.slice(0, open)
    }
  }
  const commOrString = arg === '$comm' || arg === '$COMM' || arg.startsWith('\\"')
  if (commOrString && type !== undefined && (type !== 'string' || body.includes('['))) fail(typeAt, `${arg.startsWith('\\') ? 'an immediate string' : '$comm'} is a string: write it without a type, or as :string (BAD_TYPE)`)
  if (type !== undefined && !commOrString) checkType(type, typeAt)
  const parsed = parse(arg, 0, probe)
  const stringType = type === 'string' || type === 'ustring' || (type === undefined && commOrString)
  // An eprobe's field may be a string already (char[], __data_loc): the kernel judges that by the event's format.
  // A BTF name's type is the kernel's to know (`$retval->name:string` reads a char *).
  if (stringType && !['deref', 'imm', 'imm-string', 'comm', 'mem', 'field', 'btf'].includes(parsed.kind)) {
    fail(typeAt, `:${type} reads a string from memory: dereference a pointer, e.g. +0(${arg}):${type} (BAD_STRING)`)
  }
}

function checkType(type: string, at: number): void {
  if (type.startsWith('b')) {
    // b<bit-width>@<bit-offset>/<container-size>
    const m = /^b(\d+|0x[0-9a-fA-F]+)@(\d+|0x[0-9a-fA-F]+)\/(\d+)$/.exec(type)
    const size = m ? Number(m[3]) : 0
    if (!m || ![8, 16, 32, 64].includes(size) || integer(m[1]) === 0 || integer(m[1]) + integer(m[2]) > size) {
      fail(at, `"${type}" is not a bitfield b<width>@<offset>/<container size in bits: 8, 16, 32 or 64> that fits its container (BAD_BITFIELD)`)
    }
    return
  }
  if (!BASIC_TYPES.includes(type) && !NEWER_TYPES.includes(type)) fail(at, `"${type}" is not a fetch type: use one of ${BASIC_TYPES.join(', ')}, a bitfield b<width>@<offset>/<size>, or TYPE[N] (BAD_TYPE)`)
}

/** parse_probe_arg: the fetch itself, `at` where it starts in the body. */
function parse(arg: string, at: number, probe: ProbeType): Parsed {
  const kernel = KERNEL_PROBES.includes(probe)
  switch (arg[0]) {
    case '$': {
      // `$retval->name`, `$arg1->f_path.dentry`: a variable, then fields by BTF.
      const fields = /->|\./.exec(arg)
      if (fields && probe !== 'eprobe') {
        const name = arg.slice(1, fields.index)
        const kind = variable(name, at, probe)
        if (!BTF_PROBES.includes(probe) || (kind !== 'retval' && kind !== 'arg')) fail(at, `"${arg}": fields (->, .) follow $retval or $argN of a kernel function, by BTF (Linux 6.8+) (BAD_VAR)`)
        if (!BTF_NAME.test(`x${arg.slice(fields.index)}`)) fail(at + fields.index, `"${arg.slice(fields.index)}" is not a field path: ->FIELD or .FIELD, each a C name (BAD_BTF_FIELD)`)
        return { kind: 'btf', ops: 2 }
      }
      return { kind: variable(arg.slice(1), at, probe), ops: 1 }
    }
    case '%':
      if (probe === 'eprobe') fail(at, `an eprobe reads its event's fields ($FIELD), not registers (BAD_VAR)`)
      if (!REGISTERS.has(arg.slice(1))) fail(at, `"${arg}" is not a register of x86-64 (${[...REGISTERS].map((r) => `%${r}`).join(' ')}) (BAD_REG_NAME)`)
      return { kind: 'reg', ops: 1 }
    case '@':
      if (/^\d/.test(arg.slice(1))) {
        if (!isInteger(arg.slice(1), false)) fail(at, `"${arg}" is not an address (BAD_MEM_ADDR)`)
        return { kind: 'mem', ops: 2 }
      }
      if (arg[1] === '+') {
        if (kernel) fail(at, `@+OFFSET is a file offset, for uprobes only; a kprobe reads memory at @ADDRESS or @SYMBOL (FILE_ON_KPROBE)`)
        if (!isInteger(arg.slice(2), true)) fail(at, `"${arg}" is not a file offset (BAD_FILE_OFFS)`)
        return { kind: 'file', ops: 2 }
      }
      if (!kernel) fail(at, `a uprobe cannot read a kernel symbol: use @+FILE_OFFSET (SYM_ON_UPROBE)`)
      if (!/^[A-Za-z_.][\w.]*([+-](0x[0-9a-fA-F]+|\d+))?$/.test(arg.slice(1))) fail(at, `"${arg}" is not @SYMBOL[+|-OFFSET] (BAD_MEM_ADDR)`)
      return { kind: 'mem', ops: 2 }
    case '+':
    case '-': {
      // +|-[u]OFFS(FETCHARG): the last ")" closes the first "(".
      let rest = arg
      let skip = 0
      if (rest[1] === 'u') {
        rest = rest[0] + rest.slice(2)
        skip = 1
      }
      if (rest[0] === '+') {
        rest = rest.slice(1)
        skip += 1
      }
      const open = rest.indexOf('(')
      if (open === -1) fail(at, `a dereference is +OFFSET(FETCHARG): "(" is missing (DEREF_NEED_BRACE)`)
      if (!isInteger(rest.slice(0, open), true)) fail(at, `"${rest.slice(0, open)}" is not an offset: +OFFSET(FETCHARG) takes a number (BAD_DEREF_OFFS)`)
      const innerAt = at + skip + open + 1
      const inner = rest.slice(open + 1)
      const close = inner.lastIndexOf(')')
      if (close === -1) fail(innerAt + inner.length, `the "(" of this dereference is never closed (DEREF_OPEN_BRACE)`)
      const parsed = parse(inner.slice(0, close), innerAt, probe)
      if (parsed.kind === 'comm' || parsed.kind === 'imm-string') fail(innerAt, `${parsed.kind === 'comm' ? '$comm' : 'an immediate string'} cannot be dereferenced (COMM_CANT_DEREF)`)
      // The kernel's fetch program holds FETCH_INSN_MAX instructions, the last kept for storing.
      if (parsed.ops >= INSN_MAX - 1) fail(innerAt, `too many nested dereferences (TOO_MANY_OPS)`)
      return { kind: 'deref', ops: parsed.ops + 1 }
    }
    case '\\':
      if (arg[1] === '"') {
        if (!arg.endsWith('"') || arg.length < 3) fail(at + 2, 'an immediate string is \\"TEXT" with its closing quote last (IMMSTR_NO_CLOSE)')
        return { kind: 'imm-string', ops: 1 }
      }
      if (!isInteger(arg.slice(1), true)) fail(at + 1, `"${arg.slice(1)}" is not an immediate number (BAD_IMM)`)
      return { kind: 'imm', ops: 1 }
  }
  // A function's (or tracepoint's) argument by its BTF name, with fields: the kernel looks it up.
  if (BTF_PROBES.includes(probe) && BTF_NAME.test(arg)) return { kind: 'btf', ops: 1 }
  return fail(at, `"${arg}" is not a fetch argument: use $argN, $retval, $stackN, $comm, %REG, @ADDR, @SYMBOL, +OFFSET(FETCHARG), \\IMM${BTF_PROBES.includes(probe) ? ', or an argument\'s BTF name (NAME[->FIELD])' : ''} (BAD_FETCH_ARG)`)
}

/** parse_probe_vars: `$retval`, `$stack[N]`, `$comm`, `$argN` (kprobes at a function's entry). */
function variable(name: string, at: number, probe: ProbeType): Parsed['kind'] {
  const kernel = KERNEL_PROBES.includes(probe)
  if (name === 'arg*') fail(at, `$arg* is every argument at once: pass '$arg*' as the probe's arguments (fprobe(fn, '$arg*')), not as one of them (BAD_VAR)`)
  if (probe === 'eprobe') {
    // parse_trace_event_arg: $comm, or a field of the attached event (the kernel checks it exists: BAD_ATTACH_ARG).
    if (name === 'comm' || name === 'COMM') return 'comm'
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(at, `"$${name}" is not a field name: an eprobe reads $FIELD of its event, or $comm (BAD_VAR)`)
    return 'field'
  }
  if (name === 'retval') {
    if (probe !== 'kretprobe' && probe !== 'uretprobe' && probe !== 'fretprobe') fail(at, '$retval exists only in return probes: use kretprobe(), fretprobe() or uretprobe() (RETVAL_ON_PROBE)')
    return 'retval'
  }
  if (name === 'comm' || name === 'COMM') return 'comm'
  const stack = /^stack(\d*)$/.exec(name)
  if (stack) {
    if (kernel && stack[1] !== '' && Number(stack[1]) > MAX_STACK) fail(at, `$stack${stack[1]} is beyond the kernel stack: N is at most ${MAX_STACK} (BAD_STACK_NUM)`)
    return 'stack'
  }
  const arg = /^arg(\d+)$/.exec(name)
  // An fprobe's exit keeps its entry's arguments on kernels that say so (6.10+): the kernel judges.
  if (arg && (probe === 'kprobe' || probe === 'fprobe' || probe === 'fretprobe' || probe === 'tprobe')) {
    if (Number(arg[1]) === 0 || Number(arg[1]) > MAX_STACK) fail(at, `$arg${arg[1]}: arguments count from $arg1 (BAD_ARG_NUM)`)
    return 'arg'
  }
  if (arg) fail(at, `$argN is a kprobe's, at a function's entry${kernel ? '' : ': a uprobe reads registers (%di, %si, %dx, …)'}; in a return probe use $retval (BAD_VAR)`)
  return fail(at, `"$${name}" is not a probe variable: $retval, $stack, $stackN, $comm, $argN (BAD_VAR)`)
}
