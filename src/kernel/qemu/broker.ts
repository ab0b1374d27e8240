import { rm } from 'node:fs/promises'
import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { privateDir } from '../../tempdir.js'
import { bootGuest, type Boot, type GuestFacts, type QemuOptions } from './guest.js'
import type { Vm } from './vm.js'

/** A VM lent to one process: where its agent listens, what it is, and (to its first borrower) its boot. */
export interface Lease extends GuestFacts {
  agentPath: string
  /** Set on the lease that waited for the boot, so the run counts each boot once. */
  boot?: Boot
  /** Gives the VM back (closing the connection, as the borrower's death does). */
  release(): void
  /** Asks that the VM be stopped when given back, not lent again (its kernel is broken). */
  retire(): void
}

interface Entry {
  key: string
  vm: Vm
  facts: GuestFacts
  busy: boolean
  /** Its borrower found the kernel broken: stopped when given back. */
  retired?: boolean
}

/**
 * The run's VMs, kept in vitest's main process so that they outlive the spec files: vitest
 * runs each file in a fresh worker process (module state stays isolated), and each worker
 * borrows a VM booted for the same options, or has one booted, for as long as its
 * connection to the broker stays open. A VM is lent to one worker at a time, and no more
 * than `maxVms` (vitest's maxWorkers) are kept: a borrower beyond them waits for one to
 * come back. Leases travel as JSON lines over a unix
 * socket in a private folder.
 */
export async function startBroker(opts: { maxVms: number }): Promise<{ address: string; close(): Promise<void> }> {
  const dir = await privateDir('vms')
  const address = join(dir, 'broker.sock')
  const pool: Entry[] = []
  /** Borrowers waiting for a VM to come back (the pool is full). */
  const waiting: (() => void)[] = []
  const released = () => waiting.splice(0).forEach((wake) => wake())
  let booting = 0
  let closing = false
  const serve = async (conn: Socket, options: QemuOptions): Promise<void> => {
    const key = JSON.stringify(options)
    let entry: Entry | undefined
    for (;;) {
      for (const e of pool.filter((e) => e.vm.process.exitCode !== null)) pool.splice(pool.indexOf(e), 1)
      entry = pool.find((e) => e.key === key && !e.busy)
      // A worker's successor may ask before the worker's own end gave its VM back: wait for
      // it rather than boot one more than the run has workers.
      if (entry || pool.length + booting < opts.maxVms) break
      const idle = pool.find((e) => !e.busy)
      if (idle) {
        // Booted for other options and idle: make room.
        pool.splice(pool.indexOf(idle), 1)
        await stop(idle)
        continue
      }
      await new Promise<void>((wake) => waiting.push(wake))
      if (conn.destroyed) return
    }
    let boot: Boot | undefined
    if (entry) entry.busy = true
    else {
      booting++
      const g = await bootGuest(options).finally(() => booting--)
      // The broker only boots and watches: the borrower attaches to the agent itself.
      g.vm.socket.destroy()
      entry = { key, vm: g.vm, facts: g.facts, busy: true }
      pool.push(entry)
      boot = g.boot
      if (closing) return void (await stop(entry))
    }
    const held = entry
    const giveBack = () => {
      held.busy = false
      if (held.retired) {
        pool.splice(pool.indexOf(held), 1)
        void stop(held).finally(released)
      } else released()
    }
    if (conn.destroyed) giveBack()
    else {
      conn.once('close', giveBack)
      conn.on('data', (d) => {
        if (d.toString().includes('retire')) held.retired = true
      })
      // Reading again: the readline that took the request paused the socket, and a paused
      // socket sees neither the borrower's retire nor its end (the VM would never come back).
      conn.resume()
      conn.write(`${JSON.stringify({ ...held.facts, agentPath: held.vm.agentPath, boot })}\n`)
    }
  }
  const server = createServer((conn) => {
    conn.on('error', () => {})
    const lines = createInterface({ input: conn })
    lines.once('line', (line) => {
      lines.close()
      let options: QemuOptions
      try {
        options = JSON.parse(line).lease
      } catch {
        return void conn.destroy()
      }
      serve(conn, options).catch((e: Error) => {
        conn.end(`${JSON.stringify({ error: e.message })}\n`)
        released()
      })
    })
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(address, resolve))
  const stop = async (e: Entry) => {
    e.vm.process.kill('SIGTERM')
    await e.vm.stop()
  }
  return {
    address,
    async close() {
      closing = true
      server.close()
      released()
      await Promise.all(pool.map(stop))
      pool.length = 0
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Borrows a VM for `options` from the broker at `address`; it is lent until release() or this process's end. */
export async function lease(address: string, options: QemuOptions): Promise<Lease> {
  const conn = await new Promise<Socket>((resolve, reject) => {
    const s = connect(address)
    s.once('connect', () => resolve(s))
    s.once('error', (e) => reject(new Error(`the run's VM broker (${address}) cannot be reached: ${e.message}`)))
  })
  conn.on('error', () => {})
  const { broker: _, ...wanted } = options
  conn.write(`${JSON.stringify({ lease: wanted })}\n`)
  const lines = createInterface({ input: conn })
  const line = await new Promise<string | undefined>((resolve) => {
    lines.once('line', resolve)
    lines.once('close', () => resolve(undefined))
  })
  lines.close()
  if (line === undefined) throw new Error(`the run's VM broker closed the connection before lending a VM`)
  const answer = JSON.parse(line)
  if (answer.error) {
    conn.destroy()
    throw new Error(answer.error)
  }
  // Unref'd: a lease alone does not keep the process alive; it ends with it.
  conn.unref()
  return { ...answer, release: () => conn.destroy(), retire: () => void conn.write('retire\n') }
}
