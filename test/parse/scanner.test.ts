import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { expect, test } from 'vitest'
import { parseFormat } from '../../src/parse/format.js'
import { TraceParser } from '../../src/parse/parser.js'
import { INTS, SCANNER_WASM, Scanner } from '../../src/parse/scanner.js'
import type { TraceRecord } from '../../src/trace/records.js'
import type { Trace } from '../../src/trace/trace.js'
import { generate, LAYOUTS } from '../../bench/layouts.js'
import { FIXTURES, SHARED } from '../helpers.js'

/**
 * The WebAssembly scanner (asm/scan.ts) reads syscall lines in bulk and leaves every
 * other line to the JavaScript parser. Whatever it reads must come out exactly as the
 * parser alone reads it: each trace here is parsed both ways and compared record by record.
 */
/** Lines the scanner read in the last parse with it. */
let scanned = 0

async function parse(text: Buffer, scanning: 'always' | 'never', formats: string[] = [], chunk = 1 << 20): Promise<Trace> {
  const parser = new TraceParser('<text>')
  parser.scanning = scanning
  for (const f of formats) parser.formats.add(parseFormat(f))
  const chunks: Buffer[] = []
  for (let i = 0; i < text.length; i += chunk) chunks.push(text.subarray(i, i + chunk))
  await parser.read(chunks)
  if (scanning === 'always') scanned = parser.scanned
  return parser.finish()
}

/** A record as text; calls by their parent's and children's lines (their JSON would hold whole subtrees). */
function record(r: TraceRecord): string {
  if (r.kind !== 'call') return JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))
  const { line, cpu, task, pid, ts, name, depth, duration, entryMissing, exitMissing } = r
  return JSON.stringify({ line, cpu, task, pid, ts, name, depth, duration, entryMissing, exitMissing, parent: r.parent?.line, children: r.children.map((c) => c.line) })
}

function said(trace: Trace): unknown {
  return {
    records: trace.records.map(record),
    roots: trace.roots.map((r) => r.line),
    gaps: trace.graphGaps,
    calls: trace.callCount,
    problems: trace.problems,
    header: trace.header,
    loss: trace.loss,
    events: trace.eventCount,
  }
}

/** `lines` read both ways, whole and then in pieces of each size: the whole reading's trace, and how many lines of it the scanner read. */
async function bothWays(lines: string[], pieces: number[]): Promise<{ trace: Trace; read: number }> {
  const text = Buffer.from(lines.join('\n') + '\n')
  const trace = await same(text)
  const read = scanned
  for (const chunk of pieces) await same(text, [], chunk)
  return { trace, read }
}

async function same(text: Buffer, formats: string[] = [], chunk?: number): Promise<Trace> {
  const scanned = await parse(text, 'always', formats, chunk)
  const parsed = await parse(text, 'never', formats, chunk)
  expect(said(scanned)).toEqual(said(parsed))
  return scanned
}

const LINE = (task: string, pid: number, cpu: string, flags: string, ts: string, body: string) => `${task.padStart(16)}-${String(pid).padEnd(7)} [${cpu}] ${flags} ${ts.padStart(12)}: ${body}`

test('the scanner is built (npm run build compiles asm/scan.ts)', () => {
  expect(Scanner.create({ intern: () => 0, layout: () => 0 }), `${SCANNER_WASM} is missing: run npm run build`).toBeDefined()
})

test('every captured trace, events and function_graph, reads the same with the scanner as without', async () => {
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]))
  const files = [SHARED, FIXTURES].flatMap(walk)
  const traces = files.filter((f) => /\.txt(\.gz)?$/.test(f) && !/README|format/.test(f))
  expect(traces.length).toBeGreaterThan(25)
  let scannedRows = 0
  let calls = 0
  for (const f of traces) {
    const raw = readFileSync(f)
    const text = f.endsWith('.gz') ? gunzipSync(raw) : raw
    const trace = await same(text).catch((e: Error) => {
      throw new Error(`${relative(SHARED, f)}: ${e.message}`)
    })
    scannedRows += trace.eventCount
    calls += trace.callCount
  }
  // The large captures: the comparison covered the bulk paths, not only the parser's.
  expect(scannedRows).toBeGreaterThan(412_000)
  expect(calls).toBeGreaterThan(1_498_000)
}, 180_000)

test('every layout with lines mangled (a byte dropped, added or changed) reads the same with the scanner as without', async () => {
  // Lines a user's tools or a cut buffer mangle: the scanner must read each as the parser
  // does or leave it to the parser. A fixed seed, so a difference found is found again.
  let seed = 12
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
  const BYTES = [' ', '  ', '=', ':', '|', '(', ')', '{', '}', '[', ']', ',', '"', '-', '0', '9', 'x', '.', '/', '<', '>', '+', '\t', 'a']
  const mangle = (l: string): string => {
    const at = Math.floor(rnd() * (l.length + 1))
    const b = BYTES[Math.floor(rnd() * BYTES.length)]
    const how = rnd()
    return how < 0.35 ? l.slice(0, at) + l.slice(at + 1) : how < 0.7 ? l.slice(0, at) + b + l.slice(at) : l.slice(0, at) + b + l.slice(at + 1)
  }
  let mangled = 0
  let read = 0
  for (const layout of Object.keys(LAYOUTS) as (keyof typeof LAYOUTS)[]) {
    const lines = generate(layout, 60_000).split('\n')
    const text = lines.map((l) => (l.startsWith('#') || rnd() > 0.02 ? l : (mangled++, mangle(l)))).join('\n')
    await same(Buffer.from(text)).catch((e: Error) => {
      throw new Error(`${layout}: ${e.message}`)
    })
    read += scanned
  }
  expect(mangled).toBeGreaterThan(200)
  // The scanner read most lines itself: the mangled ones did not turn it off.
  expect(read).toBeGreaterThan(Object.keys(LAYOUTS).length * 300)
}, 120_000)

test('lines the scanner must leave to the parser, or read exactly as it does', async () => {
  const lines = [
    '# tracer: nop',
    LINE('ls', 8250, '000', '.....', '1053.330242', 'sys_getxattr(pathname: 0x7ffdb02ced20, name: 0x5599d9b7528c, value: 0, size: 0)'),
    LINE('ls', 8250, '000', '.....', '1053.330243', 'sys_getxattr -> 0xffffffffffffffc3'),
    // 64-bit values: exact numbers, bigints beyond, ret as a signed int64.
    LINE('ls', 8250, '000', '.....', '1053.330244', 'sys_mmap(addr: 0x1fffffffffffff, len: 0x20000000000000, off: ffffffffffffffff, fd: 0x00000000000003)'),
    LINE('ls', 8250, '000', '.....', '1053.330245', 'sys_read -> 0x8000000000000000'),
    LINE('ls', 8250, '000', '.....', '1053.330246', 'sys_read -> 0xffe0000000000001'),
    LINE('ls', 8250, '000', '.....', '1053.330247', 'sys_read -> 0xffdfffffffffffff'),
    LINE('ls', 8250, '000', '.....', '1053.330248', 'sys_read -> 0x0000000000000000003'),
    // Values that are not hex, a comma without its space, no arguments, a key twice, a word for ret.
    LINE('ls', 8250, '001', 'd..2.', '1053.330249', 'sys_tmpl(fd: 0x7, buf: 0x2, count: zz)'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330250', 'sys_tmpl(fd: 0x8,buf: 0x3, count: 0x1)'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330251', 'sys_getpid()'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330252', 'sys_dup(fd: 0x1, fd: 0x2)'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330253', 'sys_getpid -> 0xzz'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330254', 'sys_getpid -> 0x1d1 trailing'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330255', 'sys_x(a: 0x1, b: 0x2'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330256', 'sys_x(a: 0x1, : 0x2)'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330257', 'sys_x(a:0x1)'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330258', 'sys_x(a: )'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330259', 'sys_x(a: 0x)'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330260', 'sys_x(k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9, k10: 10, k11: 11, k12: 12, k13: 13, k14: 14, k15: 15, k16: 16, k17: 17)'),
    // The same syscall with another argument list, and back.
    LINE('ls', 8250, '001', 'd..2.', '1053.330261', 'sys_tmpl(fd: 0x3, buf: 0x7ffd00001000, count: 0x10)'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330262', 'sys_tmpl(fd: 5, buf: 0x0, count: 0x20, flags: 0x1)'),
    LINE('ls', 8250, '001', 'd..2.', '1053.330263', 'sys_tmpl(fd: 0x4, buf: 0x7ffd00002000, count: 0x10)'),
    // Tasks: spaces and dashes, a bracketed one, a name filling all 16 columns, a longer one, a pid of 7 digits.
    LINE('Web Content', 1234567, '001', 'dNs5.', '1053.330264', 'sys_read(fd: 0x3, buf: 0x1, count: 0x2)'),
    LINE('kworker/u4:1-ev', 42, '000', '.....', '1053.330265', 'sys_read -> 0x2'),
    LINE('<idle>', 0, '000', '.....', '1053.330266', 'sys_read -> 0x2'),
    LINE('abcdefghijklmnop', 7, '000', '.....', '1053.330267', 'sys_read -> 0x2'),
    LINE('abcdefghijklmnopq', 7, '000', '.....', '1053.330268', 'sys_read -> 0x2'),
    LINE('#hash', 9, '000', '.....', '1053.330269', 'sys_read -> 0x2'),
    // Flags: none, longer, odd; timestamps without a fraction; a CPU of four digits.
    `              ls-8250    [001]   1053.330270: sys_read -> 0x2`,
    LINE('ls', 8250, '001', 'DBZff', '1053.330271', 'sys_read -> 0x2'),
    LINE('ls', 8250, '001', 'd..2.x', '1053.330272', 'sys_read -> 0x2'),
    LINE('ls', 8250, '001', '.....', '1053', 'sys_read -> 0x2'),
    LINE('ls', 8250, '1001', '.....', '1053.330273', 'sys_read -> 0x2'),
    // Tracepoints, probes, markers, loss, a stack block after a syscall, a carriage return.
    LINE('ls', 8250, '000', 'd..2.', '1053.330274', 'sched_switch: prev_comm=ls prev_pid=8250 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120'),
    LINE('ls', 8250, '000', '.....', '1053.330275', 'x64_sys_openat: (__x64_sys_openat+0x0/0xa0) dfd=0xffffff9c fname="/dev/null"'),
    LINE('ls', 8250, '000', '.....', '1053.330276', 'tracing_mark_write: kspec step: open'),
    'CPU:1 [LOST 12 EVENTS]',
    LINE('ls', 8250, '000', '.....', '1053.330277', 'sys_openat(dfd: 0xffffff9c, filename: 0x7ffd5e1c2f60, flags: 0x241, mode: 0x1b6)'),
    LINE('ls', 8250, '000', '.....', '1053.330278', '<stack trace>'),
    ' => ftrace_syscall_enter',
    ' => do_syscall_64',
    LINE('ls', 8250, '000', '.....', '1053.330279', 'sys_openat -> 0x3'),
    LINE('ls', 8250, '000', '.....', '1053.330280', 'sys_openat -> 0x3') + '\r',
    LINE('ls', 8250, '000', '.....', '1053.330281', 'sys_openat -> 0x3'),
    'not a trace line at all',
    '',
  ]
  const trace = await same(Buffer.from(lines.join('\n') + '\n'))
  expect(trace.eventCount).toBeGreaterThan(30)
  // Cut into texts of every small size: rows read in many short scans.
  const text = Buffer.from(lines.join('\n') + '\n')
  for (const chunk of [97, 256, 1000]) await same(text, [], chunk)
})

test('with the scanner: the spawner pid header, a format that types a syscall, and many names', async () => {
  const format = (name: string) => readFileSync(join(FIXTURES, `host-6.18/format_${name}.txt`), 'utf8')
  const lines = ['# tracer: nop', '# kspec: spawner pid 77']
  for (let k = 0; k < 3000; k++) {
    const task = `task${k % 700}`
    const pid = k % 700 === 3 ? 77 : 1000 + (k % 700)
    lines.push(LINE(task, pid, String(k % 3).padStart(3, '0'), '.....', `${k}.000001`, `sys_openat(dfd: 0xffffff9c, filename: 0x${k.toString(16)}, flags: 0x241, mode: 0x1b6)`))
    lines.push(LINE(task, pid, String(k % 3).padStart(3, '0'), '.....', `${k}.000002`, `sys_call${k % 300}(a: 0x${k.toString(16)})`))
    lines.push(LINE(task, pid, String(k % 3).padStart(3, '0'), '.....', `${k}.000003`, k % 2 ? 'sys_openat -> 0xfffffffffffffffe' : 'sys_openat -> 0x4'))
  }
  const trace = await same(Buffer.from(lines.join('\n') + '\n'), [format('sys_enter_openat'), format('sys_exit_openat')])
  expect(trace.eventsNamed('sys_enter_openat')[0].fields.dfd).toBe(-100)
  expect(trace.eventsNamed('sys_exit_openat')[1].fields.ret).toBe(-2)
  expect(trace.records.some((r) => r.pid === 77)).toBe(false)
})

test('a text larger than the scanner holds at once (a recording read whole) is scanned in pieces, the same', async () => {
  const text = gunzipSync(readFileSync(join(SHARED, 'bench/host-events-412k.txt.gz')))
  const whole = await parse(text, 'always', [], text.length)
  const chunked = await parse(text, 'always')
  expect(whole.eventCount).toBe(412_203)
  expect(said(whole)).toEqual(said(chunked))
}, 120_000)

test('with the scanner: the launcher pid header drops its lines as the parser does', async () => {
  const lines = ['# tracer: nop', '# kspec: spawner pid 77', '# kspec: launcher pid 78']
  for (let k = 0; k < 200; k++) {
    const pid = k % 5 === 0 ? 78 : 1000 + k
    lines.push(LINE(`t${k}`, pid, '000', '.....', `${k}.000001`, `sys_read(fd: 0x3, buf: 0x${k.toString(16)}, count: 0x10)`))
  }
  const trace = await same(Buffer.from(lines.join('\n') + '\n'))
  expect(trace.records.some((r) => r.pid === 78)).toBe(false)
  expect(trace.eventCount).toBe(160)
})

test('with the scanner: a line the scanner reads ends a marker, so a later odd line is not taken as its continuation', async () => {
  const lines = [
    '# tracer: nop',
    LINE('sh', 10, '000', '.....', '1.000001', 'tracing_mark_write: step one'),
    LINE('sh', 10, '000', '.....', '1.000002', 'sys_read(fd: 0x3, buf: 0x1, count: 0x10)'),
    'an odd line',
  ]
  const trace = await same(Buffer.from(lines.join('\n') + '\n'))
  expect(trace.problems.map((p) => p.text)).toEqual(['an odd line'])
})

test("the scanner's pool kinds are the event table's", async () => {
  const L = await import('../../src/parse/layout.js')
  const T = await import('../../src/trace/events.js')
  expect([L.POOL_VALUE, L.POOL_SPAN, L.POOL_WIDE]).toEqual([T.VALUE, T.SPAN, T.WIDE])
})

test('key=value events, record-tgid and irq-info-off prefixes: the scanner reads them as the parser does, or leaves them', async () => {
  const kv = (body: string, ts: number) => LINE('sh', 300, '001', 'd..2.', `2.${String(ts).padStart(6, '0')}`, body)
  const bodies = [
    'sched_switch: prev_comm=sh prev_pid=300 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120',
    'sched_switch: prev_comm=Web Content prev_pid=301 prev_prio=120 prev_state=R+ ==> next_comm=sh next_pid=300 next_prio=120',
    'sched_switch: sh:300 [120] S ==> swapper/1:0 [120]',
    'sched_waking: comm=sh pid=300 prio=120 target_cpu=001',
    'softirq_raise: vec=3 [action=NET_RX]',
    'kp: (do_sys_openat2+0x0/0x170) dfd=-100 fname="/etc/passwd" flags=0x8000',
    'kp: (do_sys_openat2+0x0/0x170) dfd=-100 fname="/etc/pass wd" flags=0x8000',
    'kp: (do_sys_openat2+0x0/0x170) dfd=-100 fname="grep "a b" c" flags=0x8000',
    'kp: (do_sys_openat2+0x0/0x170) dfd=-100 fname="unclosed flags=0x8000',
    'kp: (do_sys_openat2+0x0/0x170) dfd=-100 fname="" flags=0x8000',
    'kr: (vfs_read+0x0/0x1a0 <- ksys_read) ret=0x10',
    'kr: (no closing paren ret=0x10',
    'grp:ev-1.x: a=1 b=-2 c=-0 d=- e=0x e=0xzz',
    'grp:ev-1.x: a=1 b=-2 c=-0 d=- e=0x f=0xzz',
    'nums: a=123456789012345 b=1234567890123456 c=00000000000000001 d=0xfffffffffffff e=0x00000000000003 f=1.5 g=-12a h=0x1F',
    'nums: rq=0xffffffc97fed2f68 big=123456789012345678901 neg=-123456789012345678901 safe=9007199254740991 unsafe=9007199254740993 hex14=0x1fffffffffffff',
    'nums: a=1 b=',
    'nums: a= b=1',
    'nums: a=1  b=2',
    'nums: a=1 b=2 ',
    'nums: a.b=1 c=x=y',
    'nums: 1a=2',
    'nums: a=1 a=2',
    'nums: k1=1 k2=2 k3=3 k4=4 k5=5 k6=6 k7=7 k8=8 k9=9 k10=10 k11=11 k12=12 k13=13 k14=14 k15=15 k16=16 k17=17',
    'empty: ',
    'tracing_mark_write: kspec step: open',
    'bprint: my_fn: hello',
    '0: B|1234|name',
    'my_probe+0x3c/0x90: irq 17 bound',
    'sys_enter_openat: dfd: 0xffffff9c, filename: 0x7ffd5e1c2f60, flags: 0x241, mode: 0x1b6',
    'sys_enter_getpid: ',
    'sys_exit_openat: 0x3',
    'sys_exit_openat: zz',
    'sys_exit_openat: 0xfffffffffffffffe  ',
    'ext4_da_write_begin: dev 8,13 ino 1835041 pos 0 len 6 flags 0',
  ]
  const lines = ['# tracer: nop', ...bodies.map((b, k) => kv(b, k))]
  // record-tgid, known and unknown; odd tgid columns; irq-info off; a longer task moving the bracket.
  lines.push(`              sh-300     (    300) [001] d..2.     3.000001: sched_waking: comm=sh pid=300 prio=120 target_cpu=001`)
  lines.push(`              sh-300     (-------) [001] d..2.     3.000002: sched_waking: comm=sh pid=300 prio=120 target_cpu=001`)
  lines.push(`              sh-300     () [001] d..2.     3.000003: sched_waking: comm=sh pid=300 prio=120 target_cpu=001`)
  lines.push(`              sh-300     ( 12 3) [001] d..2.     3.000004: sched_waking: comm=sh pid=300 prio=120 target_cpu=001`)
  lines.push(`              sh-300     (0x10) [001] d..2.     3.000005: sched_waking: comm=sh pid=300 prio=120 target_cpu=001`)
  lines.push(`              sh-300     [001]     3.000006: sched_waking: comm=sh pid=300 prio=120 target_cpu=001`)
  lines.push(`   a-very-long-task-name-300     [001] d..2.     3.000007: sched_waking: comm=sh pid=300 prio=120 target_cpu=001`)
  lines.push(`              sh-300     [001] d..2.     3.000008:`)
  lines.push(`              sh-12345678901 [001] d..2.     3.000009: sched_waking: comm=sh pid=300 prio=120 target_cpu=001`)
  const { trace, read } = await bothWays(lines, [97, 333])
  // The comparison covered the scanner: it read most of these lines itself.
  expect(read).toBeGreaterThanOrEqual(20)
  expect(trace.eventsNamed('kp').map((e) => e.fields.fname)).toEqual(['/etc/passwd', '/etc/pass wd', 'grep "a b" c', 'unclosed flags=0x8000', ''])
  expect(trace.eventsNamed('sched_waking')[0].fields).toEqual({ comm: 'sh', pid: 300, prio: 120, target_cpu: 1 })
  expect(trace.eventsNamed('nums').find((e) => 'rq' in e.fields)?.fields).toEqual({ rq: 0xffffffc97fed2f68n, big: 123456789012345678901n, neg: -123456789012345678901n, safe: 9007199254740991, unsafe: 9007199254740993n, hex14: 0x1fffffffffffff })
  // A format types a key=value event: the parser's.
  const format = ['name: sched_waking', 'ID: 1', 'format:', '\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;', '\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;', '\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;', '\tfield:int target_cpu;\toffset:32;\tsize:4;\tsigned:1;', '', 'print fmt: "comm=%s"'].join('\n')
  await same(Buffer.from(lines.join('\n') + '\n'), [format])
})

test('trace-cmd report text and kspec scheduling: the scanner reads them as the parser does, or leaves them', async () => {
  const tc = (body: string, k: number) => `              ls-${8250 + (k % 3)}  [00${k % 2}]  ${(1053 + k / 1e6).toFixed(6)}: ${body}`
  const lines = ['version = 6', 'cpus=2']
  for (let k = 0; k < 40; k++) {
    lines.push(tc(`sys_enter_statx:      dfd: 0xffffff9c, filename: 0x7ffdb02ced20, flags: 0x00000900, mask: 0x0000025e, buffer: 0x7ffdb02cebf0`, 3 * k))
    lines.push(tc(`sys_exit_statx:       0x${(k % 5).toString(16)}`, 3 * k + 1))
    lines.push(tc(k % 4 ? 'sched_switch:         ls:8250 [120] S ==> swapper/0:0 [120]' : 'print:                tracing_mark_write: hello', 3 * k + 2))
  }
  // An instance's buffer: trace-cmd prints its name before each line.
  for (let k = 0; k < 20; k++) lines.push(`tcb: ${tc(`sys_exit_getxattr:    0x${k}`, 200 + k)}`)
  lines.push(
    `inst: ${tc('sched_waking:         comm=ls pid=8250 prio=120 target_cpu=000', 999)}`,
    'tcb: CPU:0 [481016 EVENTS DROPPED]',
    `in:st: ${tc('sys_exit_read:        0x1', 1000)}`,
    `inst:${tc('sys_exit_read:        0x1', 1001)}`,
    `: ${tc('sys_exit_read:        0x1', 1002)}`,
    `inst:x${tc('sys_exit_read:        0x1', 1003).trimStart()}`,
    'inst: ',
    `inst: ${tc('sys_exit_read:        0x1', 1004)}`,
  )
  const { trace: traceCmd, read } = await bothWays(lines, [333, 1000])
  // The statx lines and the instance's, read by the scanner itself.
  expect(read).toBe(105)
  expect(traceCmd.eventsNamed('sys_exit_statx').length).toBe(40)
  // kspec's spawner and launcher: their scheduling is dropped, whoever reads the line.
  const ks = ['# tracer: nop', '# kspec: spawner pid 77', '# kspec: launcher pid 78']
  for (let k = 0; k < 60; k++) {
    ks.push(LINE('sh', 300, '000', 'd..2.', `4.${String(k).padStart(6, '0')}`, `sched_switch: prev_comm=sh prev_pid=300 prev_prio=120 prev_state=S ==> next_comm=x next_pid=${k % 3 ? 77 : 301} next_prio=120`))
    ks.push(LINE('sh', 300, '000', 'd..2.', `4.${String(k).padStart(6, '0')}`, `sched_waking: comm=sh pid=${k % 2 ? 78 : 302} prio=120 target_cpu=000`))
  }
  for (const body of ['sched_waking: comm=sh pid=777 prio=120 target_cpu=000', 'sched_waking: comm=sh pid=7 prio=120 target_cpu=000', 'sched_wakeup: comm=sh target_pid=77 prio=120', 'sched_switch: prev_comm=sh prev_pid=300 prev_prio=120 prev_state=S ==> next_comm=x next_pid=78', 'sched_waking: comm=sh pid=0077 prio=120 target_cpu=000'])
    ks.push(LINE('sh', 300, '000', 'd..2.', '5.000000', body))
  const kspec = await same(Buffer.from(ks.join('\n') + '\n'))
  // While kspec's pids are known, scheduler events naming them are the parser's, which drops them; the scanner reads the rest.
  expect(scanned).toBe(54)
  expect(kspec.eventsNamed('sched_switch').length).toBe(20)
  expect(kspec.eventsNamed('sched_waking').length).toBe(33)
})

test('function tracer lines: the scanner reads them into the function table as the parser does, or leaves them', async () => {
  const fn = (body: string, k: number, tgid = false) => (tgid ? `              sh-300     (    300) [001] d..2.     5.${String(k).padStart(6, '0')}: ${body}` : LINE('sh', 300 + (k % 3), `00${k % 2}`, k % 5 ? '.....' : 'd..2.', `5.${String(k).padStart(6, '0')}`, body))
  const bodies = [
    'vfs_read <-ksys_read',
    'vfs_read+0x4/0x1b0 <ffffffff81300000> <-ksys_read+0x6e/0x100 <ffffffff81001234>',
    'vfs_read+0x4/0x1b0 <-ksys_read+0x6e/0x100',
    'vfs_read <ffffffff81300000> <-ksys_read <ffffffff81001234>',
    'vfs_read+0x4/0X1b0 <-ksys_read',
    'vfs_read+0x4 <-ksys_read',
    'vfs_read <-ksys_read (repeats: 3 delta: -3)',
    'vfs_read <-ksys_read (repeats: 3)',
    'vfs_read',
    'vfs_read <-',
    'my fn <-x',
    'syscall_trace_enter.constprop.0 <-do_syscall_64',
    // A module's functions: sym-offset names the module after the offset.
    'ovl_real_fdget+0x0/0x80 [overlay] <ffffffffc0596190> <-ovl_read_iter+0x7e/0x1f0 [overlay] <ffffffffc05970ce>',
    'ovl_inode_upper+0x0/0x20 [overlay] <-ovl_permission+0x2f/0x130 [overlay]',
    'vfs_iter_read+0x0/0x30 <ffffffff8ef65460> <-ovl_read_iter+0x1ad/0x1f0 [overlay] <ffffffffc05971fd>',
    'f+0x0/0x80 [my-mod_2] <-g',
    'f+0x0/0x80 [] <-g',
    'f [mod] <-g',
    'f+0x0/0x80 [mod <-g',
    'f+0x0/0x80 [mod] [x] <-g',
    'f+0x0/0x80 <ffffffffc0596190> [mod] <-g',
    'sched_switch: prev_comm=sh prev_pid=300 prev_prio=120 prev_state=S ==> next_comm=x next_pid=0 next_prio=120',
    'tracing_mark_write: hi',
  ]
  const lines = ['# tracer: function', '#']
  for (let k = 0; k < 30; k++) lines.push(fn('vfs_read <-ksys_read', k))
  bodies.forEach((b, k) => lines.push(fn(b, 100 + k)))
  lines.push(fn('kernel_clone <-__do_sys_clone', 200), fn('<stack trace>', 202), ' => kernel_clone+0xc0/0x41c', ' => __do_sys_clone', fn('do_exit <-x', 203, true), fn('do_exit <-x', 204) + '\r', fn('do_exit <-x', 205))
  // Stack blocks: a user stack, an empty line inside a block, one on another CPU than its owner, one with no frames, one at the text's end.
  lines.push(fn('a <-b', 210), fn('<user stack trace>', 210), ' =>  <00007f0000001000>', ' => 0x7f0000002000  ', fn('c <-d', 212), fn('<stack trace>', 212), ' => x', '', ' => y', fn('e <-f', 214), fn('<stack trace>', 215), ' => z', fn('g <-h', 216), fn('<stack trace>', 216))
  lines.push(fn('i <-j', 218), fn('<stack trace>', 218), ' => last')
  const { trace, read } = await bothWays(lines, [97, 333])
  // The comparison covered the scanner: it read these lines itself, the modules' too.
  expect(read).toBe(54)
  expect(trace.ofKind('function').find((r) => r.func === 'ovl_real_fdget')).toMatchObject({ offset: '+0x0/0x80', module: 'overlay', parent: 'ovl_read_iter', parentOffset: '+0x7e/0x1f0', parentModule: 'overlay' })
  expect(trace.ofKind('function').filter((r) => r.func === 'f').map((r) => r.module)).toEqual(['my-mod_2'])
  const clone = trace.ofKind('function').find((r) => r.func === 'kernel_clone')!
  expect(clone.stack).toEqual(['kernel_clone+0xc0/0x41c', '__do_sys_clone'])
  expect(trace.ofKind('function').find((r) => r.line === 3 + 30 + 1)).toMatchObject({ func: 'vfs_read', offset: '+0x4/0x1b0', parent: 'ksys_read', parentOffset: '+0x6e/0x100' })
})

test('function_graph without the duration column: the scanner reads it as the parser does, or leaves it', async () => {
  const lines = ['# tracer: function_graph', '#', '# CPU  TASK/PID         DURATION                  FUNCTION CALLS', '#']
  for (let k = 0; k < 20; k++) lines.push(' 1) vfs_write() {', ' 1)   rw_verify_area();', ' 1)   __fsnotify_parent() {', ' 1)     dget_parent();', ' 1)   }', ' 1) }')
  lines.push(
    ' 0) ==========>',
    ' 0)   do_IRQ();',
    ' 0) <==========',
    ' 0) ls-99 => sh-100',
    ' 1) } /* vfs_write */',
    ' 1)   /* sched_switch: prev_comm=ls */',
    ' 1) a | b() {',
    ' 1)  odd();',
    ' 1)      deep_leaf();',
    ' 1) }   ',
    ' 1) f()',
    '12) g();',
  )
  const { trace, read } = await bothWays(lines, [61, 256])
  // The comparison covered the scanner: it read these lines itself.
  expect(read).toBeGreaterThanOrEqual(120)
  expect(trace.callsOf('dget_parent')[0].parent?.name).toBe('__fsnotify_parent')
})

test('names that differ in one byte are different names, whatever their length (the scanner hashes and compares them eight bytes at a time)', async () => {
  // Every length around the hash's 4- and 8-byte steps, and names that differ only at
  // one position each: in the first word, the overlapping last one, or a short name's byte.
  const names = new Set<string>()
  for (const len of [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 40]) {
    const base = 'f'.repeat(len)
    names.add(base)
    for (let at = 0; at < len; at++) names.add(base.slice(0, at) + 'g' + base.slice(at + 1))
  }
  const lines = ['# tracer: function_graph', '#']
  for (const n of names) lines.push(` 0)   ${n}();`, ` 1) ${n}() {`, ' 1) }')
  // Each again, as names already seen.
  for (const n of names) lines.push(` 0)   ${n}();`)
  const { trace, read } = await bothWays(lines, [4096])
  expect(read).toBe(lines.length - 2)
  for (const n of names) expect(trace.callsOf(n).filter((c) => c.name === n), n).toHaveLength(3)
  expect(trace.callCount).toBe(names.size * 3)
  // The scanner's own table, bare: each name asked of the host once (found again by hash
  // and compare every later time), and each op naming the one its line names. The parser
  // above interns by string too, so a table that re-asked for a name would not show there.
  const asked: string[] = []
  const sc = Scanner.create({ intern: (_kind, text) => asked.push(text) - 1, layout: () => -1 })!
  const bytes = Buffer.from(lines.slice(2).join('\n') + '\n')
  sc.load(bytes)
  const ops = sc.scanGraph(0, bytes.length, 1, sc.graphOps)
  expect(ops).toBe(lines.length - 2)
  const named = Array.from({ length: ops }, (_, k) => asked[sc.graphInts[k * INTS + 4]])
  expect(named).toEqual(lines.slice(2).map((l) => /\) +(\S*?)\(|\) +(})$/.exec(l)![1] ?? ''))
  // Every call name, and the bare `}`'s empty name, once.
  expect(asked.length).toBe(names.size + 1)
  expect(new Set(asked).size).toBe(asked.length)
})

test('function_graph with the abstime and proc columns and tail comments: the scanner reads them as the parser does, or leaves them', async () => {
  const row = (ts: string, cpu: number, proc: string, dur: string, text: string) => `  ${ts} |   ${cpu})   ${proc.padStart(8)}   | ${dur.padEnd(13)} |  ${text}`
  const lines = ['# tracer: function_graph', '#']
  for (let k = 0; k < 20; k++) {
    const ts = (100 + k / 1000).toFixed(6)
    lines.push(row(ts, 0, 'ls-99', '', '__x64_sys_openat() {'), row(ts, 0, 'ls-99', '  1.000 us', '  getname();'), row(ts, 1, '<idle>-0', '+ 12.345 us', 'x();'), row(ts, 0, 'ls-99', '! 121.000 us', '} /* __x64_sys_openat */'))
  }
  lines.push(
    row('200.000001', 0, 'ls-99', '', 'f() {'),
    row('200.000002', 0, 'ls-99', '  1.000 us', '} /* f = 0x0 */'),
    row('200.000003', 0, 'ls-99', '', 'g() {'),
    row('200.000004', 0, 'ls-99', '  1.000 us', '}  /* g */'),
    row('200.000005', 0, 'ls-99', '  1.000 us', '} /* g'),
    row('200.000006', 0, 'ls-99', '  1.000 us', '} /* */'),
    row('200.000007', 0, 'ls-99', '', '/* sched_switch: prev_comm=ls */'),
    '  200.000008 |   0)    ls-99    |  h();',
    '  200.000009 |  h();',
    '  200.000010 |   0)    ls-99    |  ==========> |',
    ' 0)    ls-99    |   1.000 us    |  h();',
    ' 0)  ls|-99    |   1.000 us    |  h();',
  )
  const { trace, read } = await bothWays(lines, [77, 300])
  // The comparison covered the scanner: it read these lines itself.
  expect(read).toBeGreaterThanOrEqual(80)
  expect(trace.callsOf('getname')[0]).toMatchObject({ ts: 100, task: 'ls', pid: 99 })
  expect(trace.callsOf('__x64_sys_openat')[0].duration).toBe(121)
})

test('latency-format text, events and a latency tracer: the scanner reads it as the parser does, or leaves it', async () => {
  const lat = (task: string, pid: number, cpu: number, flags: string, us: string, body: string) => `${task.padStart(8).slice(0, 8)}-${String(pid).padEnd(7)} ${String(cpu).padStart(3)}${flags} ${us} ${body}`
  const events = ['# tracer: nop', '#', '# nop latency trace v1.1.5 on 6.18.44', '#                    _------=> CPU#            ']
  for (let k = 0; k < 30; k++) {
    events.push(lat('sh', 2204 + (k % 3), k % 2, '.....', `${String(20562 + k).padStart(5)}us`, `: sys_openat(dfd: 0xffffff9c, filename: 0x565287a53f20, flags: 0x241, mode: 0x1b6)`))
    events.push(lat('kworker/0:1', 12, 0, 'd..2.', `${String(20600 + k).padStart(5)}us`, `: sched_waking: comm=sh pid=2204 prio=120 target_cpu=000`))
  }
  events.push(
    lat('sh', 2204, 0, '.....', '20700us', '+: sys_read -> 0x3'),
    lat('sh', 2204, 0, '.....', '20701us', '!: sys_read -> 0x3'),
    lat('sh', 2204, 0, '', '20702us', ': sys_read -> 0x3'),
    lat('sh', 2204, 0, '.....', '1.5us', ': sys_read -> 0x3'),
    lat('sh', 2204, 0, '.....', '20703', ': sys_read -> 0x3'),
    lat('sh', 2204, 0, '.....', '20704us', '   : sys_read -> 0x3'),
    '      sh-2204       0.....  20705us : sys_read -> 0x3',
    '      sh-2204  0.....  20706us : <stack trace>',
    ' => do_syscall_64',
  )
  const { read } = await bothWays(events, [101, 400])
  // The comparison covered the scanner: it read these lines itself.
  expect(read).toBeGreaterThanOrEqual(60)

  const tracer = ['# tracer: preemptoff', '#', '# preemptoff latency trace v1.1.5 on 3.8.0-test+']
  for (let k = 0; k < 30; k++) {
    tracer.push(lat('bash', 1994, 1, 'd.h1', `${String(k).padStart(3)}us`, `: ${k % 2 ? 'vfs_read' : 'ksys_read'} <-do_syscall_64`))
    tracer.push(lat('<idle>', 0, 3, 'd..3', `${String(k).padStart(3)}us`, `+:      0:120:R ==> [003]   312:100:R kworker/3:1H`))
  }
  // The scheduler entries, as the wakeup tracers print them, and lines that look nearly like them.
  const idle = (body: string) => lat('<idle>', 0, 3, 'dNs7', '  0us', body)
  tracer.push(
    idle(':      0:120:R   + [003]   312:100:R kworker/3:1H'),
    idle(':      0:120:R ==> [003]   312:100:R'),
    idle(':      0:120:R ==> [003]   312:100:R   '),
    idle(':      0:120:R ==> [003]   312:100:D Web Content  '),
    idle(':   2204: 98:S ==> [001]  7:  5:R\tkworker/u8:2'),
    idle(':      0:120:R ==> [003]   3120000000:100:R big'),
    idle(':      0:120:R ==> [003]   312:100:R+ x'),
    idle(':      0:120:R ==> [3]   312:100:R x'),
    idle(':      0:120:R => [003]   312:100:R x'),
    lat('bash', 1994, 1, 'd.h1', ' 31us', ': vfs_read <-do_syscall_64'),
    idle(':      0:120:R ==> [003]   312:100:R kworker/3:1H'),
    lat('<idle>', 0, 3, 'dNs7', '  0us', ': <stack trace>'),
    ' => __schedule',
    lat('bash', 1994, 1, 'd.h1', ' 32us', ': vfs_read <-do_syscall_64'),
  )
  const { trace, read: readTracer } = await bothWays(tracer, [97, 300])
  // The comparison covered the scanner: it read the functions and the entries itself.
  expect(readTracer).toBeGreaterThanOrEqual(66)
  expect(trace.ofKind('function').length).toBe(32)
  expect(trace.eventsNamed('context_switch').length).toBe(30 + 7)
  const [wakeup] = trace.eventsNamed('wakeup')
  expect(wakeup.fields).toEqual({ prev_pid: 0, prev_prio: 120, prev_state: 'R', next_cpu: 3, next_pid: 312, next_prio: 100, next_state: 'R', next_comm: 'kworker/3:1H' })
  expect(wakeup.body).toBe('0:120:R   + [003]   312:100:R kworker/3:1H')
  const switches = trace.eventsNamed('context_switch').slice(30)
  expect(switches.map((e) => e.fields.next_comm)).toEqual([undefined, undefined, 'Web Content', 'kworker/u8:2', 'big', 'x', 'kworker/3:1H'])
  expect(switches.at(-1)!.stack).toEqual(['__schedule'])
})

test('trace-cmd report -l text and trace_printk callers: the scanner reads them as the parser does, or leaves them', async () => {
  const lines = ['cpus=6']
  for (let k = 0; k < 30; k++) {
    lines.push(`trace-cm-${6973 + (k % 3)}    ${k % 6}d..4.${259445106948920 + k * 4180}: bprint:               enqueue_task_fair: evt=util_est_rq step=pre pid=${6972 + k} comm=sudo cpu=1 q_est=${k}`)
    lines.push(`    bash-4127    1d..2. ${(8812.003344 + k / 1e6).toFixed(6)}: sched_waking:         comm=sh pid=${k} prio=120 target_cpu=001`)
    lines.push(`              ls-8250  [00${k % 2}]  ${(1053 + k / 1e6).toFixed(6)}: bprint:               my_probe: irq=${k} state=on`)
  }
  lines.push(
    `    bash-4127    1d..2. 8813.000001: bprint:               0xffff00000819ff24s: raw message`,
    `    bash-4127    1d..2. 8813.000002: bputs:                my_fn: constant message`,
    `    bash-4127    1d..2. 8813.000003: bprint:               my_probe+0x3c/0x90: irq 17 bound`,
    `    bash-4127    1d..2. 8813.000004: bprint:               my_work_fn <ffffffffc0a01234>: queue empty`,
    `    bash-4127    1d..2. 8813.000005: bprint:               kp: (do_sys_openat2+0x0/0x170) dfd=1`,
    `    bash-4127    1d..2. 8813.000006: bprint:               sys_x(a: 0x1)`,
    `    bash-4127    1d..2. 8813.000007: print:                tracing_mark_write: hello`,
    `    bash-4127    1d..2. 8813.000008: bprint:               tracing_mark_write: hello`,
    `a-b-c-12    1d..2. 8813.000009: sched_waking:         comm=sh pid=1 prio=120 target_cpu=001`,
    `    bash-12345678901    1d..2. 8813.000010: sched_waking:         comm=sh pid=1 prio=120 target_cpu=001`,
    `    bash-4127    1234567d..2. 8813.000011: sched_waking:         comm=sh pid=1 prio=120 target_cpu=001`,
    `trace-cm-6973    2d..4.1234567890123456789: sched_waking:         comm=sh pid=1 prio=120 target_cpu=001`,
    `    bash-4127    1 8813.000012: sched_waking:         comm=sh pid=1 prio=120 target_cpu=001`,
  )
  const { trace, read } = await bothWays(lines, [123, 500])
  // The comparison covered the scanner: it read these lines itself.
  expect(read).toBeGreaterThanOrEqual(90)
  expect(trace.eventsNamed('enqueue_task_fair')[0].fields.evt).toBe('util_est_rq')
  expect(trace.eventsNamed('my_probe').length).toBe(31)
})
