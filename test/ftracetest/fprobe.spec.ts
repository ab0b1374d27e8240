// Ports of the kernel's ftrace selftests on fprobes, tprobes and arguments by BTF name
// (test.d/dynevent/*.tc): Debian's 6.12 (--kernel debian-backports) has them; 6.1 and this
// machine's kernel skip them, naming CONFIG_FPROBE_EVENTS or CONFIG_PROBE_EVENTS_BTF_ARGS.
import { defineTrace, expect, fprobe, fretprobe, kprobe, test, tprobe } from 'kspec'

/** A workload that forks: its shell runs `true` in a child. */
const fork = ['sh', '-c', '/bin/true & wait']

test('add_remove_fprobe.tc: an fprobe at kernel_clone\'s entry and one at its exit are listed as defined, fire for the workload\'s fork, and go after it', async ({ record }) => {
  const trace = await record(defineTrace({ fprobes: [fprobe('kernel_clone', {}, 'myevent1'), fretprobe('kernel_clone', {}, 'myevent2')] }), fork)
  expect(trace.state!.probes).toEqual([
    expect.stringMatching(/^f:kspec_\d+_\d+\/myevent1 kernel_clone$/),
    expect.stringMatching(/^f:kspec_\d+_\d+\/myevent2 kernel_clone%return$/),
  ])
  // Beyond the .tc, which only defines them: they fire, the exit showing where it returned to.
  expect(trace.eventsNamed('myevent1').filter((e) => e.task === 'sh')).toHaveLength(1)
  const exits = trace.eventsNamed('myevent2').filter((e) => e.task === 'sh')
  expect(exits).toHaveLength(1)
  // An exit's site is where kernel_clone returned to: `(__do_sys_clone+0x66/0x90 <- kernel_clone)`.
  expect(exits[0].probe).toMatchObject({ at: expect.stringMatching(/^__do_sys_clone\+/), returnedFrom: 'kernel_clone' })
})

test('add_remove_tprobe.tc: tprobes on the kmem_cache_alloc and kmem_cache_free tracepoints are listed as defined and fire', async ({ record }) => {
  const trace = await record(defineTrace({ fprobes: [tprobe('kmem_cache_alloc', {}, 'myevent1'), tprobe('kmem_cache_free', {}, 'myevent2')] }), ['cat', '/etc/hostname'])
  expect(trace.state!.probes).toEqual([
    expect.stringMatching(/^t:kspec_\d+_\d+\/myevent1 kmem_cache_alloc$/),
    expect.stringMatching(/^t:kspec_\d+_\d+\/myevent2 kmem_cache_free$/),
  ])
  // A tprobe's site is the tracepoint's stub: `(__probestub_kmem_cache_alloc+0x4/0x10)`.
  const allocs = trace.eventsNamed('myevent1').filter((e) => e.task === 'cat')
  expect(allocs.length).toBeGreaterThan(0)
  expect(allocs[0].probe?.at).toMatch(/^__probestub_kmem_cache_alloc\+/)
  expect(trace.eventsNamed('myevent2').filter((e) => e.task === 'cat').length).toBeGreaterThan(0)
})

test('add_remove_btfarg.tc: arguments by BTF name on fprobes, tprobes and kprobes, $arg* for all of them, and fields through pointers', async ({ record }) => {
  // By name: the kernel lists `object=object` and `ptr=ptr`.
  const named = await record(defineTrace({ fprobes: [fprobe('kfree', { object: 'object' }, 'fpevent'), tprobe('kfree', { ptr: 'ptr' }, 'tpevent')] }), ['cat', '/etc/hostname'])
  expect(named.state!.probes).toEqual([expect.stringMatching(/\/fpevent kfree object=object$/), expect.stringMatching(/\/tpevent kfree ptr=ptr$/)])
  // The same objects freed, seen by both: the function's argument is the tracepoint's. As
  // sets: an interrupt that frees between a call's entry and its tracepoint nests its pair
  // inside (fp1 fp2 tp2 tp1), so the two orders may differ.
  const sorted = (xs: unknown[]) => xs.map(String).sort()
  const objects = named.eventsNamed('fpevent').filter((e) => e.task === 'cat').map((e) => e.fields.object)
  expect(objects.length).toBeGreaterThan(0)
  expect(sorted(named.eventsNamed('tpevent').filter((e) => e.task === 'cat').map((e) => e.fields.ptr))).toEqual(sorted(objects))
  // $arg*: every argument, named by BTF; a tracepoint's hidden __data is not one of them.
  const all = await record(defineTrace({ fprobes: [fprobe('kfree', '$arg*', 'fpevent'), tprobe('kfree', '$arg*', 'tpevent')] }), ['cat', '/etc/hostname'])
  expect(all.state!.probes).toEqual([expect.stringMatching(/\/fpevent kfree object=object$/), expect.stringMatching(/\/tpevent kfree .*ptr=ptr/)])
  expect(all.state!.probes.join('\n')).not.toMatch(/_data/)
  // Fields through pointers, and through $retval: getname_flags returns the struct filename
  // of a path looked up (ls stats its argument; 6.12's openat takes another way).
  const fields = await record(
    defineTrace({
      fprobes: [
        tprobe('kmem_cache_alloc', { obj_size: 's->object_size' }, 'tpevent'),
        fretprobe('getname_flags', { path: '$retval->name:string' }, 'fpevent'),
        tprobe('sched_wakeup', { prev: 'p->se.group_node.next->prev' }, 'tpevent2'),
      ],
    }),
    ['ls', '/etc/hostname'],
  )
  expect(fields.state!.probes).toEqual([
    expect.stringMatching(/\/tpevent kmem_cache_alloc obj_size=s->object_size$/),
    expect.stringMatching(/\/fpevent getname_flags%return path=\$retval->name:string$/),
    expect.stringMatching(/\/tpevent2 sched_wakeup prev=p->se\.group_node\.next->prev$/),
  ])
  // Beyond the .tc: the values are right. cat's own path, and cache objects of some size.
  expect(fields.eventsNamed('fpevent').filter((e) => e.task === 'ls').map((e) => e.fields.path)).toContain('/etc/hostname')
  expect(fields.eventsNamed('tpevent').filter((e) => e.task === 'ls').every((e) => typeof e.fields.obj_size === 'number' && e.fields.obj_size > 0)).toBe(true)
  // kprobes take BTF names at a function's entry too.
  const kp = await record(defineTrace({ kprobes: [kprobe('kfree', { object: 'object' }, 'kpevent')] }), ['true'])
  expect(kp.state!.probes).toEqual([expect.stringMatching(/^p:kspec_\d+_\d+\/kpevent kfree object=object$/)])
  const kall = await record(defineTrace({ kprobes: [kprobe('kfree', '$arg*', 'kpevent')] }), ['true'])
  expect(kall.state!.probes).toEqual([expect.stringMatching(/\/kpevent kfree object=object$/)])
})

test('fprobe_args_vfs.tc: $arg1:%pd prints a dentry\'s name and $arg1:%pD a file\'s, with a name and without', async ({ record }) => {
  // The .tc greps for the `enable` file it writes; here the workload reads /etc/hostname.
  const read = await record(defineTrace({ fprobes: [fprobe('vfs_read', { name: '$arg1:%pD' }, 'testprobe')] }), ['cat', '/etc/hostname'])
  expect(read.eventsNamed('testprobe').filter((e) => e.task === 'cat').map((e) => e.fields.name)).toContain('hostname')
  const dput = await record(defineTrace({ fprobes: [fprobe('dput', { name: '$arg1:%pd' }, 'testprobe')] }), ['cat', '/etc/hostname'])
  expect(dput.eventsNamed('testprobe').filter((e) => e.task === 'cat').map((e) => e.fields.name)).toContain('hostname')
})

test('fprobe_entry_arg.tc: an fprobe at vfs_open\'s exit reads $arg1 as it was at the entry', async ({ record }) => {
  const trace = await record(defineTrace({ fprobes: [fprobe('vfs_open', { arg: '$arg1' }, 'myevent1'), fretprobe('vfs_open', { arg: '$arg1' }, 'myevent2')] }), ['cat', '/etc/hostname'])
  const mine = trace.records.flatMap((r) => (r.kind === 'event' && r.task === 'cat' && (r.name === 'myevent1' || r.name === 'myevent2') ? [r] : []))
  expect(mine.length).toBeGreaterThan(1)
  // vfs_open nests (an overlay's backing_file_open calls it again): each exit's $arg1 is
  // that of the innermost entry still open, as a stack of calls has it.
  const open: unknown[] = []
  for (const e of mine) {
    if (e.name === 'myevent1') open.push(e.fields.arg)
    else expect(e.fields.arg).toBe(open.pop())
  }
  expect(open).toEqual([])
})
