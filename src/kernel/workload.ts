import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from './exec.js'
import type { RunHooks, WorkloadResult, WorkloadSpec } from './target.js'

/** Grace between SIGTERM and SIGKILL when a workload overruns its timeout. */
export const KILL_GRACE_MS = 2000

/**
 * Runs a workload on this machine started stopped: `sh` stops itself before it execs the
 * workload (same pid), so tracing can be scoped to the pid before the first instruction.
 * The workload leads its own process group, and a timeout kills the whole group in two
 * stages (SIGTERM, then SIGKILL).
 */
export async function runStopped(workload: WorkloadSpec, hooks: RunHooks): Promise<WorkloadResult> {
  const argv = 'shell' in workload ? ['/bin/sh', '-c', workload.shell] : workload.argv
  const child = execa('/bin/sh', ['-c', 'kill -STOP $$; exec "$@"', 'kspec-workload', ...argv], {
    reject: false,
    detached: true,
    stdin: 'ignore',
    stripFinalNewline: false,
  })
  const pid = child.pid
  if (pid === undefined) {
    const r = await child
    throw new Error(`could not start the workload ${JSON.stringify(argv)}: ${r.shortMessage ?? r.message}`)
  }
  let timedOut = false
  let timer: NodeJS.Timeout | undefined
  try {
    await waitStopped(pid)
    await hooks.onStopped(pid)
    signalGroup(pid, 'SIGCONT')
    timer = setTimeout(() => {
      timedOut = true
      signalGroup(pid, 'SIGTERM')
      timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS)
    }, hooks.timeoutMs)
    const r = await child
    return {
      pid,
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      timedOut,
    }
  } catch (e) {
    signalGroup(pid, 'SIGKILL')
    await child.catch(() => {})
    throw e
  } finally {
    clearTimeout(timer)
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is gone already.
  }
}

/** Waits until the process is in state T (stopped by SIGSTOP). */
async function waitStopped(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'T' || state === 't') return
    if (stat === '' || state === 'Z') throw new Error(`the workload (pid ${pid}) exited before it could be traced: is /bin/sh there?`)
    if (Date.now() > deadline) throw new Error(`the workload (pid ${pid}) did not stop itself within ${timeoutMs} ms (state ${state})`)
    await sleep(1)
  }
}
