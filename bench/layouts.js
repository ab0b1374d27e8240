// Used by bench/run.js (a row per layout) and test/parse/linear.test.ts (no layout parses
// in more than linear time).
/**
 * Generated trace text, one layout each, for tests and the benchmark: line i of each is
 * built from a real capture's line of that layout (test/fixtures, ../shared/traces), with
 * timestamps, pids and names varied so no two lines repeat.
 */
const FNS = ['vfs_read', 'ksys_read', 'rw_verify_area', 'security_file_permission', '__fsnotify_parent', 'do_syscall_64', 'fput', 'fdget_pos', 'mutex_lock', '_raw_spin_lock']
const fn = (i) => FNS[i % FNS.length]
const caller = (i) => FNS[(i * 7 + 3) % FNS.length]
const ts = (i) => (100 + i * 0.000013).toFixed(6)
const task = (i) => `bash-${1000 + (i % 7)}`.padStart(16 + String(1000 + (i % 7)).length + 1)
const cpu = (i) => String(i % 2).padStart(3, '0')

export const LAYOUTS = {
  function: { header: '# tracer: function\n#\n', line: (i) => `${task(i)}    [${cpu(i)}] .....   ${ts(i)}: ${fn(i)} <-${caller(i)}\n` },
  'function sym-offset sym-addr': { header: '# tracer: function\n#\n', line: (i) => `${task(i)}    [${cpu(i)}] .....   ${ts(i)}: ${fn(i)}+0x4/0x1b0 <ffffffff8130${(i % 4096).toString(16).padStart(4, '0')}> <-${caller(i)}+0x6e/0x100 <ffffffff81001234>\n` },
  'function func_stack_trace': {
    header: '# tracer: function\n#\n',
    line: (i) => `${task(i)}    [${cpu(i)}] .....   ${ts(i)}: ${fn(i)} <-${caller(i)}\n${task(i)}    [${cpu(i)}] .....   ${ts(i + 1)}: <stack trace>\n => ${caller(i)}\n => do_syscall_64\n => entry_SYSCALL_64_after_hwframe\n`,
  },
  'function_graph': { header: '# tracer: function_graph\n#\n', line: (i) => ` ${i % 2})               |  ${fn(i)}() {\n ${i % 2})   0.${(i % 900) + 100} us    |    ${caller(i)}();\n ${i % 2})   ${(i % 9) + 1}.234 us    |  }\n` },
  'function_graph proc abstime tail': {
    header: '# tracer: function_graph\n#\n',
    line: (i) => ` ${ts(i)} |   ${i % 2})    ls-${99 + (i % 5)}    |               |  ${fn(i)}() {\n ${ts(i + 1)} |   ${i % 2})    ls-${99 + (i % 5)}    |   0.${(i % 900) + 100} us    |    ${caller(i)}();\n ${ts(i + 2)} |   ${i % 2})    ls-${99 + (i % 5)}    |   ${(i % 9) + 1}.234 us    |  } /* ${fn(i)} */\n`,
  },
  'function_graph no duration': { header: '# tracer: function_graph\n#\n', line: (i) => ` ${i % 2}) ${fn(i)}() {\n ${i % 2})   ${caller(i)}();\n ${i % 2}) }\n` },
  'events default': { header: '# tracer: nop\n#\n', line: (i) => `${task(i)}    [${cpu(i)}] .....   ${ts(i)}: sys_openat(dfd: 0xffffff9c, filename: 0x55bd4b5${(i % 65536).toString(16).padStart(5, '0')}, flags: 0x241, mode: 0x1b6)\n${task(i)}    [${cpu(i)}] .....   ${ts(i + 1)}: sys_openat -> 0x${(i % 16).toString(16)}\n` },
  'events tracepoints': { header: '# tracer: nop\n#\n', line: (i) => `${task(i)}    [${cpu(i)}] d..2.   ${ts(i)}: sched_switch: prev_comm=bash prev_pid=${1000 + (i % 7)} prev_prio=120 prev_state=S ==> next_comm=swapper/${i % 2} next_pid=0 next_prio=120\n` },
  'events record-tgid': { header: '# tracer: nop\n#\n', line: (i) => `${task(i)}    (   ${1000 + (i % 7)}) [${cpu(i)}] .....   ${ts(i)}: sys_openat(dfd: 0xffffff9c, filename: 0x55bd4b5${(i % 65536).toString(16).padStart(5, '0')}, flags: 0x241, mode: 0x1b6)\n` },
  'events irq-info off': { header: '# tracer: nop\n#\n', line: (i) => `${task(i)}    [${cpu(i)}]    ${ts(i)}: sys_openat(dfd: 0xffffff9c, filename: 0x565287a${(i % 65536).toString(16).padStart(5, '0')}, flags: 0x241, mode: 0x1b6)\n` },
  'events latency-format': {
    header: '# tracer: nop\n#\n# nop latency trace v1.1.5 on 6.18.44\n#                    _------=> CPU#            \n',
    line: (i) => `      sh-${String(2204 + (i % 7)).padEnd(7)} ${String(i % 2).padStart(3)}..... ${String(20562 + i).padStart(5)}us : sys_openat(dfd: 0xffffff9c, filename: 0x565287a53f20, flags: 0x241, mode: 0x1b6)\n`,
  },
  'trace-cmd report': { header: 'cpus=2\n', line: (i) => `              ls-${8250 + (i % 7)}  [00${i % 2}]  ${ts(i)}: sys_enter_statx:      dfd: 0xffffff9c, filename: 0x7ffdb02ced20, flags: 0x00000900, mask: 0x0000025e, buffer: 0x7ffdb02cebf0\n              ls-${8250 + (i % 7)}  [00${i % 2}]  ${ts(i + 1)}: sys_exit_statx:       0x0\n` },
  'trace-cmd report -l bprint': {
    header: 'cpus=6\n',
    line: (i) => `trace-cm-${6973 + (i % 7)}    ${i % 6}d..4.${259445106948920 + i * 4180}: bprint:               enqueue_task_fair: evt=util_est_rq step=pre pid=${6972 + (i % 7)} comm=sudo cpu=1 rq=0xffffffc97fed2f68 event=enqueue t_avg=0 t_est=966 q_avg=20 q_est=${i % 1000}\n`,
  },
  'latency tracer (preemptoff)': {
    header: '# tracer: preemptoff\n#\n# preemptoff latency trace v1.1.5 on 3.8.0-test+\n',
    line: (i) => `    bash-${String(1994 + (i % 7)).padEnd(5)}    1d.h${i % 4}   ${String(i % 1000).padStart(3)}us : ${fn(i)} <-${caller(i)}\n  <idle>-0       3d..3   ${String(i % 1000).padStart(3)}us+:      0:120:R ==> [003]   ${312 + (i % 9)}:100:R kworker/3:1H\n`,
  },
  'kprobe events': { header: '# tracer: nop\n#\n', line: (i) => `${task(i)}    [${cpu(i)}] .....   ${ts(i)}: do_sys_openat2: (do_sys_openat2+0x0/0x170) dfd=-100 fname="/usr/lib/file${i % 1000}" flags=0x${(i % 4096).toString(16)}\n` },
}

/** About `bytes` of text in the layout. */
/** @param {keyof typeof LAYOUTS} layout @param {number} bytes @returns {string} */
export function generate(layout, bytes) {
  const { header, line } = LAYOUTS[layout]
  const out = [header]
  let size = header.length
  for (let i = 0; size < bytes; i++) {
    const l = line(i)
    out.push(l)
    size += l.length
  }
  return out.join('')
}

/**
 * A function_graph capture with the duration column removed, as the kernel prints it with
 * `funcgraph-duration` off (` 1) vfs_write() {`, the call one space after the CPU column,
 * two spaces a level): the bench's row for that layout, converted from a real capture.
 * Lines without a `|` column (banners, comments, irq marks) stay as they are.
 */
/** @param {string} text @returns {string} */
export function withoutDuration(text) {
  return text.replace(/^( *\d+\)) +(?:[+!#*@$] +)?(?:[\d.]+ us +)?\|  (.*)$/gm, '$1 $2')
}
