import { constants } from 'node:os'
import type { Background, BackgroundPolicy, PreparedJob, WorkloadResult, WorkloadSpec } from './target.js'

/**
 * Workload control, one module for both targets (as execa's kill.js is for execa): the
 * argv a spec becomes, the timeout (SIGTERM, then SIGKILL to everything contained after a
 * grace period), the wait status decoded, what the workload left running. Each target
 * only says how it reaches its processes (node:fs and signals on the host, the agent in
 * a guest), as a `Job`.
 */

/** Grace between SIGTERM and SIGKILL when a workload overruns its timeout or kspec is closing. */
export const KILL_GRACE_MS = 2000

/** The argv a workload runs as: a shell command through /bin/sh -c. */
export const argvOf = (w: WorkloadSpec): string[] => ('shell' in w ? ['/bin/sh', '-c', w.shell] : w.argv)

/** The variables kspec adds to a workload's environment, as `KEY=VALUE` entries (names and values checked: they cross to spawners NUL-separated). */
export function envOf(w: WorkloadSpec): string[] {
  return Object.entries(w.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || v.includes('\0')) throw new TypeError(`a workload's environment variable ${JSON.stringify(k)} is not a name=value kspec can pass`)
    return `${k}=${v}`
  })
}

/** A forked workload, stopped before its exec, as a target reaches it. */
export interface Job {
  readonly pid: number
  /** Where it and all it starts are held. */
  readonly container: Container
  /** SIGCONT or SIGTERM to the workload and what it started (never SIGKILL: that is the container's kill). */
  signal(sig: 'SIGCONT' | 'SIGTERM'): Promise<void>
  /** Resolves with the main process's wait status once it has ended. */
  status(): Promise<number>
  /** Once it is all over: its stdout and stderr, and whatever the target held for it removed. */
  finish(): Promise<{ stdout: string; stderr: string }>
}

/** SIGTERM now, SIGKILL to the whole container after the grace period; the returned function calls the kill off. */
export function terminate(job: Job): () => void {
  void job.signal('SIGTERM').catch(() => {})
  const kill = setTimeout(() => void job.container.kill().catch(() => {}), KILL_GRACE_MS)
  return () => clearTimeout(kill)
}

/** Lets a stopped job run, under its timeout and background policy: the one `start()` of both targets. */
export function control(job: Job, timeoutMs: number, policy: BackgroundPolicy): PreparedJob {
  const start = async (): Promise<WorkloadResult> => {
    const deadline = Date.now() + timeoutMs
    await job.signal('SIGCONT')
    let timedOut = false
    let callOff: (() => void) | undefined
    const timer = setTimeout(() => {
      timedOut = true
      callOff = terminate(job)
    }, timeoutMs)
    let status: number
    try {
      status = await job.status()
    } finally {
      clearTimeout(timer)
      callOff?.()
    }
    let background: Background
    let output: { stdout: string; stderr: string }
    try {
      background = await settle(job.container, timedOut ? 'kill' : policy, deadline)
    } finally {
      output = await job.finish()
    }
    return { pid: job.pid, ...decodeStatus(status), ...output, timedOut: timedOut || background.outcome === 'timed out', background }
  }
  const cancel = async (): Promise<void> => {
    await job.container.kill()
    await start().catch(() => {})
  }
  return { pid: job.pid, start, cancel }
}

/** A wait status: the exit code in the high byte, the terminating signal in the low 7 bits (named as Node names it). */
export function decodeStatus(status: number): { exitCode: number | undefined; signal: string | undefined } {
  const sig = status & 0x7f
  if (!sig) return { exitCode: status >> 8, signal: undefined }
  return { exitCode: undefined, signal: Object.entries(constants.signals).find(([, v]) => v === sig)?.[0] ?? `signal ${sig}` }
}

export interface ProcStat {
  pid: number
  comm: string
  /** R, S, D, T (stopped), Z (zombie), … */
  state: string
  ppid: number
  pgrp: number
  session: number
}

/** `/proc/<pid>/stat` as the kernel prints it; the name may hold spaces and parentheses. */
export function parseStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')')
  if (close === -1) return undefined
  const [state, ppid, pgrp, session] = text.slice(close + 2).split(' ')
  return { pid, comm: text.slice(text.indexOf('(') + 1, close), state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) }
}

/** Waits until a job forked stopped (SIGSTOP before exec) has stopped, or is gone. */
export async function waitStopped(read: () => Promise<string>): Promise<void> {
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    const text = await read().catch(() => '')
    const state = parseStat(0, text)?.state
    if (state === undefined || state === 'T' || state === 'Z') return
    await new Promise((r) => setTimeout(r, delay))
  }
}

/** A workload's container as a target reaches it. */
export interface Container {
  containedBy: Background['containedBy']
  members(): Promise<{ pid: number; comm: string }[]>
  /** Waits until it is empty or the deadline passes; true when it emptied. */
  waitEmpty(deadline: number): Promise<boolean>
  kill(): Promise<void>
}

/**
 * What the workload left running when its main process ended: waited for (until the
 * deadline, then killed) or killed at once, by the policy; said either way.
 */
export async function settle(c: Container, policy: BackgroundPolicy, deadline: number): Promise<Background> {
  const processes = await c.members()
  const said = (outcome: Background['outcome']): Background => ({ policy, containedBy: c.containedBy, processes, outcome })
  if (processes.length === 0) return said('none')
  if (policy === 'wait' && (await c.waitEmpty(deadline))) return said('waited')
  await c.kill()
  return said(policy === 'wait' ? 'timed out' : 'killed')
}

/** Polls until `gone()` or the deadline; true when it went. */
export async function pollUntil(gone: () => Promise<boolean>, deadline: number): Promise<boolean> {
  while (!(await gone())) {
    if (Date.now() >= deadline) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return true
}

/** The module names of /proc/modules (`null_blk 49152 0 - Live 0x…`). */
export const moduleNames = (procModules: string): string[] => procModules.split('\n').map((l) => l.split(' ')[0]).filter(Boolean)

/** What modprobe said when a module would not load, with the kernel's new log lines: the error a test shows. */
export function moduleError(name: string, params: string[], said: string, kernelLines: string[]): Error {
  const log = kernelLines.length ? `\nthe kernel said:\n${kernelLines.map((l) => `  ${l}`).join('\n')}` : ''
  return new Error(`the module ${name} did not load (modprobe ${[name, ...params].join(' ')}): ${said.trim() || 'no reason given'}${log}\nCheck the name (modinfo ${name}) and its parameters.`)
}

/** The messages of kernel log records (/dev/kmsg: `prio,seq,ts,flags;message`) that `after` has and `before` had not. */
export function newKernelLines(before: string, after: string): string[] {
  // Records only: /dev/kmsg continues some with ` KEY=value` lines.
  const records = (text: string) => text.split('\n').filter((l) => /^\d+,\d+,/.test(l))
  const seq = (l: string) => Number(l.split(',')[1])
  const last = records(before).reduce((max, l) => Math.max(max, seq(l)), -1)
  return records(after).filter((l) => seq(l) > last).map((l) => l.slice(l.indexOf(';') + 1))
}

/** A module's `name=` (its .modinfo), else its file name. */
export function moduleNameOf(ko: Buffer, file: string): string {
  const at = ko.indexOf('\0name=')
  if (at === -1) return file.replace(/^.*\//, '').replace(/\.ko$/, '').replace(/-/g, '_')
  const start = at + '\0name='.length
  return ko.toString('latin1', start, ko.indexOf(0, start))
}

/** The `depends=a,b` a module's .modinfo section holds. */
export function dependsOf(ko: Buffer): string[] {
  const at = ko.indexOf('\0depends=')
  if (at === -1) return []
  const start = at + '\0depends='.length
  return ko.toString('latin1', start, ko.indexOf(0, start)).split(',').filter(Boolean)
}
