import type { Target } from '../kernel/target.js'

/** One /dev/kmsg record. */
export interface KernelMessage {
  level: number
  /** 0 for the kernel; userspace writes to /dev/kmsg get another facility and cannot pass for it. */
  facility: number
  seq: number
  /** Seconds since boot. */
  ts: number
  text: string
}

/** Parses /dev/kmsg records (`prio,seq,ts,flags;message`, then ` KEY=value` lines). */
export function parseKmsg(text: string): KernelMessage[] {
  const out: KernelMessage[] = []
  for (const line of text.split('\n')) {
    const m = /^(\d+),(\d+),(\d+),[^;]*;(.*)$/.exec(line)
    if (!m) continue
    const prio = Number(m[1])
    out.push({ level: prio & 7, facility: prio >> 3, seq: Number(m[2]), ts: Number(m[3]) / 1e6, text: m[4] })
  }
  return out
}

/** What a kernel says when it is hurt. */
const HURT = /^(WARNING:|------------\[ cut here \]|BUG:|kernel BUG at|Oops|general protection fault|Kernel panic|UBSAN:|KASAN:|KFENCE:|possible circular locking dependency|possible recursive locking|INFO: task .* blocked for more than|watchdog: BUG: soft lockup|rcu: INFO: rcu_.*detected stalls|Unable to handle kernel)/

const TAINTS = 'PFSRMBUDAWCIOELKXTN'

export interface Health {
  seq: number
  taint: number
}

/** Where the kernel log and taint stand now: the baseline a test is checked against. */
export async function healthBaseline(t: Target): Promise<Health> {
  const messages = parseKmsg(await t.kernelLog().catch(() => ''))
  return { seq: messages.at(-1)?.seq ?? -1, taint: await taint(t) }
}

async function taint(t: Target): Promise<number> {
  return Number((await t.readFile('/proc/sys/kernel/tainted').catch(() => Buffer.from('0'))).toString().trim()) || 0
}

/**
 * Why the kernel is not healthy since the baseline: a WARN, BUG, oops, lockdep splat or
 * stall in its log, or a new taint bit. Empty when healthy.
 */
export async function healthProblems(t: Target, since: Health, expectedTaint = 0): Promise<string[]> {
  const fresh = parseKmsg(await t.kernelLog().catch(() => '')).filter((m) => m.seq > since.seq && m.facility === 0)
  const problems: string[] = []
  const hurt = fresh.findIndex((m) => HURT.test(m.text))
  if (hurt !== -1) {
    const excerpt = fresh.slice(hurt, hurt + 25).map((m) => `[${m.ts.toFixed(6).padStart(13)}] ${m.text}`)
    problems.push(`the kernel logged "${fresh[hurt].text}":\n${excerpt.join('\n')}${fresh.length > hurt + 25 ? '\n…' : ''}`)
  }
  const now = await taint(t)
  const added = now & ~since.taint & ~expectedTaint
  if (added) {
    const letters = [...TAINTS].filter((_, i) => added & (1 << i)).join('')
    problems.push(`the kernel became tainted (${letters}, /proc/sys/kernel/tainted ${since.taint} → ${now}); see Documentation/admin-guide/tainted-kernels.rst`)
  }
  return problems
}

/** Loading a module of one's own taints the kernel O (out of tree) and E (unsigned): expected, not broken. */
export const OWN_MODULE_TAINT = (1 << 12) | (1 << 13)
