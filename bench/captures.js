// Real captures for the bench's layout rows, recorded at bench time: on this machine's
// tracefs by kspec's own recorder (what a spec records, read from trace_pipe) and by
// trace-cmd (`extract` of an instance, then `report` and `report -l`); and, for the
// function tracer's layouts, which this kernel refuses, on Debian's kernel under QEMU.
// Each is at least `mb` MB of text, as the kernel and trace-cmd write it. Nothing is left
// behind: the recorder tears its instances down, trace-cmd's instance is named as
// kspec's (kspec_<pid>_bench, which kspec's janitor sweeps after a kill -9) and removed
// in `finally`, the VM is closed, and the files go in the caller's folder.
import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { HostTarget } from '../dist/kernel/host.js'
import { QemuTarget } from '../dist/kernel/qemu/target.js'
import { Recorder } from '../dist/tracefs/recorder.js'
import { removeTraceDir } from '../dist/tracefs/recording.js'
import { defineTrace } from '../dist/spec/declaration.js'
import { uprobe } from '../dist/spec/probes.js'
import { libcPath } from '../dist/spec/libs.js'

const RW = ['syscalls:sys_enter_read', 'syscalls:sys_exit_read', 'syscalls:sys_enter_write', 'syscalls:sys_exit_write']
/** A workload of `n` one-byte reads and writes: four syscall events, or two libc calls, a byte. */
const dd = (n) => ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${n}`]
const BUFFER_KB = 65536

/**
 * What kspec records, by layout: the declaration, the workload for `n` units of it, and
 * a first guess of bytes a unit (refined by a first recording when it falls short).
 */
const RECORDINGS = [
  ['real: host syscalls, kspec', { events: RW }, dd, 330],
  ['real: host record-tgid, kspec', { events: RW, options: { 'record-tgid': true } }, dd, 370],
  ['real: host irq-info off, kspec', { events: RW, options: { 'irq-info': false } }, dd, 310],
  ['real: host latency-format, kspec', { events: RW, options: { 'latency-format': true } }, dd, 295],
  // Key=value tracepoints: the slab allocator's, under a walk of a large tree.
  ['real: host kmem tracepoints, kspec', { events: ['kmem:kmalloc', 'kmem:kfree', 'kmem:kmem_cache_alloc', 'kmem:kmem_cache_free'] }, (n) => `find /usr /usr /usr /usr | head -n ${n} > /dev/null`, 700],
  ['real: host uprobes, kspec', { uprobes: [uprobe(libcPath(), 'write', { fd: '%di:s32', buf: '%si:x64', count: '%dx:u64' }), uprobe(libcPath(), 'read', { fd: '%di:s32', buf: '%si:x64', count: '%dx:u64' })] }, dd, 210],
]

/**
 * The function tracer's layouts, on a kernel that has it (Debian's under QEMU, TCG): the
 * file system's entry points filtered in, as a spec would, so the guest is not slowed
 * by tracing every function; function_graph below vfs_read and vfs_write.
 */
const FS = ['vfs_*', 'ksys_*', 'rw_verify_area', '*fdget*', 'fput*', 'security_file_permission', '__fsnotify_parent']
const BELOW = ['vfs_read', 'vfs_write']
const QEMU_RECORDINGS = [
  ['real: qemu function, kspec', { tracer: 'function', functions: FS }, dd, 780],
  ['real: qemu function sym-offset sym-addr, kspec', { tracer: 'function', functions: FS, options: { 'sym-offset': true, 'sym-addr': true } }, dd, 1500],
  ['real: qemu function func_stack_trace, kspec', { tracer: 'function', functions: ['vfs_read', 'vfs_write'], funcStackTrace: true }, dd, 900],
  // A call's entry and exit take more room in the ring buffer than a short line of text.
  ['real: qemu function_graph proc abstime tail', { tracer: 'function_graph', graphFunctions: BELOW, options: { 'funcgraph-proc': true, 'funcgraph-abstime': true, 'funcgraph-tail': true }, bufferSizeKb: 4 * BUFFER_KB }, dd, 3000],
  ['real: qemu function_graph no duration', { tracer: 'function_graph', graphFunctions: BELOW, options: { 'funcgraph-duration': false }, bufferSizeKb: 4 * BUFFER_KB }, dd, 1000],
]
/** Room for those buffers (the guest's one CPU under TCG). */
const GUEST_MB = 2048

/**
 * Records every capture of this machine into `dir`: { rows: [{ layout, file, dat? }] }
 * (dat: the .dat trace-cmd reported it from), or { skipped } saying why none could be
 * made here.
 */
export async function hostCaptures(dir, mb) {
  if (process.getuid?.() !== 0) return { skipped: 'not root: the host captures need tracefs' }
  const host = new HostTarget()
  try {
    await host.ready()
  } catch (e) {
    return { skipped: `no tracefs here (${e.message.split('\n')[0]})` }
  }
  const rows = await recordAll(host, RECORDINGS, dir, mb * 1e6)
  rows.push(...traceCmd(host.root, dir, mb * 1e6))
  return { rows }
}

/** The same for the function tracer's layouts, on Debian's kernel under QEMU. */
export async function qemuCaptures(dir, mb) {
  const vm = new QemuTarget({ kernel: 'debian', memoryMb: GUEST_MB })
  try {
    await vm.ready()
  } catch (e) {
    await vm.close()
    return { skipped: `no QEMU guest (${e.message.split('\n')[0]})` }
  }
  try {
    return { rows: await recordAll(vm, QEMU_RECORDINGS, dir, mb * 1e6) }
  } finally {
    await vm.close()
  }
}

/** Where a capture of this layout goes in `dir`. */
const fileFor = (dir, layout) => join(dir, `${layout.replace(/\W+/g, '_')}.txt`)

/** Each recording of the list, at least `target` bytes, its text copied into `dir`. */
async function recordAll(t, list, dir, target) {
  const rows = []
  const r = new Recorder(t)
  try {
    for (const [layout, decl, workload, guess] of list) {
      const d = defineTrace({ bufferSizeKb: BUFFER_KB, ...decl })
      let n = Math.ceil((target * 1.05) / guess)
      const file = fileFor(dir, layout)
      for (let attempt = 0; ; attempt++) {
        const trace = await r.record(d, workload(n), { timeoutMs: 600_000 })
        if (trace.problems.length > 0) throw new Error(`bench: ${layout}: kspec's recording has unreadable lines: ${JSON.stringify(trace.problems.slice(0, 3))}`)
        if (trace.loss.overwritten + trace.loss.lostEvents > 0) throw new Error(`bench: ${layout}: the recording lost events (${JSON.stringify(trace.loss)}): raise BUFFER_KB in bench/captures.js`)
        const size = statSync(trace.source).size
        if (size >= target || attempt === 2) {
          copyFileSync(trace.source, file)
          break
        }
        n = Math.ceil((n * target * 1.05) / size)
      }
      rows.push({ layout, file })
    }
  } finally {
    await r.close()
    await removeTraceDir()
  }
  return rows
}

/**
 * trace-cmd's text of a real .dat: syscall events recorded into an instance of our own,
 * `trace-cmd extract`ed (its `record` wants the function tracer on, which this kernel
 * refuses), then reported with both prefixes. Every line then carries the instance's
 * name, as trace-cmd prints an instance's buffer.
 */
function traceCmd(root, dir, target) {
  if (spawnSync('trace-cmd', ['--version'], { stdio: 'ignore' }).error) return []
  const name = `kspec_${process.pid}_bench`
  const inst = `${root}/instances/${name}`
  const dat = join(dir, 'trace-cmd.dat')
  const remove = () => {
    if (existsSync(inst)) rmdirSync(inst)
  }
  // A Ctrl-C here would leave the instance: it goes first.
  const onSignal = (sig) => {
    remove()
    process.kill(process.pid, sig)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    mkdirSync(inst)
    writeFileSync(`${inst}/buffer_size_kb`, String(BUFFER_KB))
    for (const e of RW) writeFileSync(`${inst}/events/${e.replace(':', '/')}/enable`, '1')
    // Four events a byte, ~110 bytes of report text each.
    const [cmd, ...args] = dd(Math.ceil((target * 1.1) / 440))
    execFileSync(cmd, args, { stdio: 'ignore' })
    writeFileSync(`${inst}/tracing_on`, '0')
    execFileSync('trace-cmd', ['extract', '-B', name, '-o', dat], { stdio: 'ignore' })
  } finally {
    remove()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  const rows = []
  for (const [layout, args] of [['real: trace-cmd report (instance)', []], ['real: trace-cmd report -l (instance)', ['-l']]]) {
    const file = fileFor(dir, layout)
    const fd = openSync(file, 'w')
    try {
      execFileSync('trace-cmd', ['report', ...args, '-i', dat], { stdio: ['ignore', fd, 'ignore'] })
    } finally {
      closeSync(fd)
    }
    rows.push({ layout, file, dat })
  }
  return rows
}
