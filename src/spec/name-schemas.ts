import { z } from 'zod'
import { EVENT_FILES } from './syntax.js'

/** `system:event`, either side a name or a glob. */
export const eventName = z
  .string()
  .regex(/^[A-Za-z0-9_*?.-]+:[A-Za-z0-9_*?.-]+$/, 'write events as "system:event" (globs allowed), e.g. "syscalls:sys_enter_openat" or "sched:*"')
  .refine((s) => !s.split(':').some((p) => /^\.+$/.test(p)), 'event names cannot be . or ..')
  .refine((s) => {
    const [system, event] = s.split(':')
    return !EVENT_FILES.system.includes(system) && !EVENT_FILES.event.includes(event)
  }, `${EVENT_FILES.system.join(', ')} (as a system) and ${EVENT_FILES.event.join(', ')} (as an event) are files under events/, not events: name the event, e.g. "sched:sched_switch" or "sched:*"`)

/** A kernel function name or a set_ftrace_filter glob, optionally with `:mod:<module>`. */
export const functionGlob = z
  .string()
  .regex(/^(\*?[A-Za-z0-9_.$*?]+\*?|\*)(:mod:[A-Za-z0-9_*-]+)?$|^:mod:[A-Za-z0-9_*-]+$/, 'write a function name or glob (do_filp_open, *openat*, ext4_*), optionally with :mod:<module>')

/**
 * A function trigger as set_ftrace_filter takes it: `<function>:<command>[:count]`, the
 * function a name or glob, the command traceon, traceoff, stacktrace, snapshot, dump,
 * cpudump, or enable_event/disable_event:<system>:<event>.
 */
export const functionTrigger = z
  .string()
  .regex(
    /^\*?[A-Za-z0-9_.$*?]+\*?:(traceon|traceoff|stacktrace|snapshot|dump|cpudump|(enable|disable)_event:[A-Za-z0-9_]+:[A-Za-z0-9_]+)(:\d+)?$/,
    'write a function trigger as set_ftrace_filter takes it: <function>:<command>[:count], e.g. "schedule:traceoff", "kernel_clone:stacktrace:5", "do_exit:enable_event:sched:sched_switch"; commands: traceon, traceoff, stacktrace, snapshot, dump, cpudump, enable_event:<sys>:<event>, disable_event:<sys>:<event>',
  )

/** A probe's event name: a C identifier. */
export const probeName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'probe names are C identifiers, e.g. open_ret')

/**
 * A record whose keys must match a pattern; zod's own key errors say only "Invalid key",
 * so the message here names the rule.
 */
export const keyedRecord = <V extends z.ZodType>(value: V, key: RegExp, message: string) =>
  z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const k of Object.keys(rec)) if (!key.test(k) || /^\.+$/.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: `${JSON.stringify(k)}: ${message}` })
  })
