import type { Background, BackgroundPolicy } from './target.js'

/**
 * What both targets share in controlling a workload, each reaching its processes its
 * own way (node:fs on the host, the agent in a guest): reading `/proc/<pid>/stat`,
 * waiting for a job to stop itself before exec, and what to do with what a workload
 * left running.
 */

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
