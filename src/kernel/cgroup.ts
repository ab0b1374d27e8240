import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pidAlive } from '../tempdir.js'

/**
 * Workloads contained in cgroup v2 leaves: a workload's background children (`cmd &`)
 * cannot slip out of a cgroup as they slip out of a process tree (reparented to init), so
 * at the end of a test everything it started is found, waited for or killed (cgroup.kill),
 * and none of it writes events into a later test's trace.
 */

const OWNED = /^kspec_(\d+)_\w+$/

/** The cgroup v2 folder this process lives in (`/sys/fs/cgroup/...`), or undefined without cgroup v2. */
let home: Promise<string | undefined> | undefined
export function cgroupHome(): Promise<string | undefined> {
  home ??= (async () => {
    // KSPEC_CGROUPS=off: contain workloads by session instead (what machines without a writable cgroup v2 get).
    if (process.env.KSPEC_CGROUPS === 'off') return undefined
    const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')
    // "36 25 0:31 / /sys/fs/cgroup rw,... - cgroup2 cgroup2 rw": the root and the mount point.
    const line = mounts.split('\n').find((l) => / - cgroup2 /.test(l))
    const self = (await readFile('/proc/self/cgroup', 'utf8').catch(() => '')).split('\n').find((l) => l.startsWith('0::'))
    if (!line || !self) return undefined
    const [, root, mountPoint] = line.split(' ').slice(2, 5)
    const path = self.slice(3)
    const rel = root === '/' ? path : path.startsWith(root) ? path.slice(root.length) : undefined
    if (rel === undefined) return undefined
    const dir = join(mountPoint, rel)
    // Usable only if kspec can make leaves here and processes can move in and out.
    const probe = join(dir, `kspec_${process.pid}_probe`)
    try {
      await mkdir(probe)
      await rmdir(probe)
      return dir
    } catch {
      return undefined
    }
  })()
  return home
}

/** A new leaf for one workload, `<home>/kspec_<pid>_j<n>`; undefined without cgroup v2. */
let leaves = 0
export async function newLeaf(): Promise<string | undefined> {
  const dir = await cgroupHome()
  if (!dir) return undefined
  const leaf = join(dir, `kspec_${process.pid}_j${++leaves}`)
  await mkdir(leaf)
  return leaf
}

/** The processes in a leaf, with their names. */
export async function members(leaf: string): Promise<{ pid: number; comm: string }[]> {
  const pids = (await readFile(join(leaf, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number)
  return Promise.all(pids.map(async (pid) => ({ pid, comm: (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim() })))
}

async function populated(leaf: string): Promise<boolean> {
  return /^populated 1$/m.test(await readFile(join(leaf, 'cgroup.events'), 'utf8').catch(() => 'populated 0'))
}

/** Waits until the leaf is empty or the deadline passes; true when it emptied. */
export async function waitEmpty(leaf: string, deadline: number): Promise<boolean> {
  for (let delay = 2; await populated(leaf); delay = Math.min(delay * 2, 50)) {
    if (Date.now() >= deadline) return false
    await sleep(delay)
  }
  return true
}

/** SIGKILLs everything in the leaf (cgroup.kill, or each member where the kernel lacks it) and waits for it to empty. */
export async function killLeaf(leaf: string): Promise<void> {
  await writeFile(join(leaf, 'cgroup.kill'), '1').catch(async () => {
    for (const { pid } of await members(leaf)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Gone already.
      }
    }
  })
  await waitEmpty(leaf, Date.now() + 5000)
}

/** Kills what is left in a leaf and removes it. */
export async function removeLeaf(leaf: string): Promise<void> {
  if (await populated(leaf)) await killLeaf(leaf)
  await rmdir(leaf).catch(() => {})
}

/**
 * Leaves of kspec processes that are gone (a kill -9'd worker): what still runs in them
 * is killed and the leaves removed. Returns the processes killed.
 */
export async function sweepLeaves(): Promise<{ pid: number; comm: string }[]> {
  const dir = await cgroupHome()
  if (!dir) return []
  const killed: { pid: number; comm: string }[] = []
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = OWNED.exec(name)
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue
    const leaf = join(dir, name)
    killed.push(...(await members(leaf)))
    await removeLeaf(leaf)
  }
  return killed
}
