import { TraceParser } from './parser.js'

/**
 * Lines of every common kind, in the kernel's default layout: syscall entries and exits
 * (short and 64-bit values, errors), key=value tracepoints, a marker, a stack block, a
 * line of loss. `warmUp` reads them before a large trace is, so that when the JIT
 * optimizes the parser it has seen every branch those lines take: code optimized
 * without that knowledge is thrown away (deoptimized) the first time a rarer line comes,
 * and a 400k-line parse then spent about a third of its time in the interpreter.
 */
function sample(round: number): string[] {
  const tasks = ['ls', 'bash', 'kworker/u4:1', '<idle>', 'systemd-journal', 'Web Content', 'cat']
  const calls = [
    'sys_openat(dfd: 0xffffff9c, filename: 0x7ffd5e1c2f60, flags: 0x241, mode: 0x1b6)',
    'sys_openat -> 0x3',
    'sys_read(fd: 3, buf: 0x5599f5283ac0, count: 0x8000)',
    'sys_read -> 0xffffffffffffffc3',
    'sys_close(fd: 3)',
    'sys_close -> 0x0',
    'sys_statx(dfd: ffffff9c, filename: 7ffdb02ced20, flags: 900, mask: 25e, buffer: 7ffdb02cebf0)',
    'sys_statx -> 0xfffffffffffffffe',
    'sys_mmap(addr: 0x0, len: 0x20000000000000, prot: 0x3, flags: 0x22, fd: 0xffffffffffffffff, off: 0x0)',
    'sys_mmap -> 0x7f18e3116000',
    'sys_getpid()',
    'sys_getpid -> 0x1d1',
    'sched_switch: prev_comm=ls prev_pid=7546 prev_prio=120 prev_state=D ==> next_comm=swapper/0 next_pid=0 next_prio=120',
    'sched_wakeup: comm=ls pid=7546 prio=120 target_cpu=001',
    'sched_process_exec: filename=/usr/bin/ls pid=7546 old_pid=7546',
    'tracing_mark_write: kspec step: open',
    'x64_sys_openat: (__x64_sys_openat+0x0/0xa0) dfd=0xffffff9c fname="/dev/null"',
  ]
  const lines: string[] = []
  for (let k = 0; k < calls.length * 3; k++) {
    const task = tasks[(k + round) % tasks.length].padStart(16)
    const pid = String(100 + ((k * 7919 + round) % 9000)).padEnd(7)
    const cpu = String((k + round) % 4).padStart(3, '0')
    const flags = ['.....', 'd..2.', 'dNs5.', '...1.'][k % 4]
    const ts = `${1000 + round}.${String(k * 37).padStart(6, '0')}`.padStart(12)
    lines.push(`${task}-${pid} [${cpu}] ${flags} ${ts}: ${calls[k % calls.length]}`)
    if (k % 11 === 5) lines.push(`${task}-${pid} [${cpu}] ${flags} ${ts}: <stack trace>`, ' => ftrace_syscall_enter', ' => do_syscall_64', ' => entry_SYSCALL_64_after_hwframe')
  }
  lines.push(`CPU:${round % 2} [LOST ${round + 1} EVENTS]`)
  return lines
}

let warm = false

/** Once per thread, before the first large parse: a few milliseconds. */
export function warmUp(): void {
  if (warm) return
  warm = true
  for (let round = 0; round < 16; round++) {
    const parser = new TraceParser('<warm-up>')
    parser.push('# tracer: nop')
    const lines = sample(round)
    // In a few texts, as a stream arrives: the parser meets a new text mid-trace.
    const third = Math.floor(lines.length / 3)
    for (const part of [lines.slice(0, third), lines.slice(third, 2 * third), lines.slice(2 * third)]) parser.pushText(part.join('\n') + '\n')
    parser.finish()
  }
}
