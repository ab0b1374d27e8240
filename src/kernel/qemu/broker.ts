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
}

interface Entry {
  key: string
  vm: Vm
  facts: GuestFacts
  busy: boolean
}

/**
 * The run's VMs, kept in vitest's main process so that they outlive the spec files: vitest
 * runs each file in a fresh worker process (module state stays isolated), and each worker
 * borrows a VM booted for the same options, or has one booted, for as long as its
 * connection to the broker stays open. A VM is lent to one worker at a time, so a run never
 * boots more VMs than it runs workers at once. Leases travel as JSON lines over a unix
 * socket in a private folder.
 */
export async function startBroker(): Promise<{ address: string; close(): Promise<void> }> {
  const dir = await privateDir('vms')
  const address = join(dir, 'broker.sock')
  const pool: Entry[] = []
  let closing = false
  const serve = async (conn: Socket, options: QemuOptions): Promise<void> => {
    const key = JSON.stringify(options)
    let entry = pool.find((e) => e.key === key && !e.busy && e.vm.process.exitCode === null)
    let boot: Boot | undefined
    if (entry) entry.busy = true
    else {
      const g = await bootGuest(options)
      // The broker only boots and watches: the borrower attaches to the agent itself.
      g.vm.socket.destroy()
      entry = { key, vm: g.vm, facts: g.facts, busy: true }
      pool.push(entry)
      boot = g.boot
      if (closing) return void (await stop(entry))
    }
    const held = entry
    if (conn.destroyed) held.busy = false
    else {
      conn.once('close', () => (held.busy = false))
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
      serve(conn, options).catch((e: Error) => conn.end(`${JSON.stringify({ error: e.message })}\n`))
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
  return { ...answer, release: () => conn.destroy() }
}
