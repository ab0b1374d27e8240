/*
 * kspec guest agent: the target interface of src/kernel/target.ts, served over a serial
 * port inside a QEMU guest. Static, no libraries beyond libc, so it runs from a busybox
 * initramfs on any kernel.
 *
 * Frames (little-endian). Request: u32 size, u32 id, u8 op, then arguments, each a u32
 * length and its bytes. Response: u32 size, u32 id, i32 status (0 or an errno), payload.
 * WAIT answers when its job ends; every other request is answered in order.
 *
 * Workloads are forked by spawners: processes of their own (one per arming) whose pid
 * the host puts in set_event_pid. A spawner opens a job's files itself and the child
 * only setpgid()s, dup2()s, stops itself until the host has started tracing (SIGCONT)
 * and execs, so the trace holds the workload's own events and no trigger fires on the
 * launching.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

enum { READ = 1, WRITE, APPEND, MKDIR, RMDIR, LIST, EXISTS, PIPE, SPAWN, JOB, WAIT, KILL, ALIVE, UNAME, POWEROFF, SPAWN_STOP, UNLINK, KMSG, CREATE, HELLO };

#define MAX_SPAWNERS 64
#define MAX_FRAME (64u << 20)

static int port;
struct spawner { pid_t pid; int jobs; int status; uint32_t wait_id[1024]; uint32_t wait_job[1024]; int waits; };
static struct spawner spawners[MAX_SPAWNERS];
static uint32_t next_job = 1;

static void full_write(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR || errno == EAGAIN) continue; _exit(3); }
    p += w; n -= (size_t)w;
  }
}

static int full_read(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r == 0) return -1;
    if (r < 0) { if (errno == EINTR || errno == EAGAIN) continue; return -1; }
    p += r; n -= (size_t)r;
  }
  return 0;
}

static void reply(uint32_t id, int32_t status, const void *data, uint32_t len) {
  uint32_t head[3] = { 8 + len, id, (uint32_t)status };
  full_write(port, head, sizeof head);
  if (len) full_write(port, data, len);
}

/* Reads a whole file; tracefs files report size 0, so read until EOF. */
static char *slurp(const char *path, uint32_t *len, int *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { *err = errno; return NULL; }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n == cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) { if (errno == EINTR) continue; *err = errno; close(fd); free(buf); return NULL; }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  *len = (uint32_t)n;
  *err = 0;
  return buf;
}

/*
 * Writes all of data, or fails. tracefs may take less than it is given (set_ftrace_filter
 * consumes one entry per write() and returns how much it read): a short write is not the
 * end, the rest goes in the next write(), as a shell's echo does. A write that takes
 * nothing is an error (EIO), never a silent truncation.
 */
static int put(const char *path, const char *data, uint32_t len, int flags) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
  if (fd < 0) return errno;
  int err = 0;
  if (len == 0) {
    if (write(fd, "", 0) < 0) err = errno;
  }
  for (uint32_t done = 0; done < len && !err;) {
    ssize_t w = write(fd, data + done, len - done);
    if (w < 0) { if (errno == EINTR) continue; err = errno; }
    else if (w == 0) err = EIO;
    else done += (uint32_t)w;
  }
  if (close(fd) < 0 && !err) err = errno;
  return err;
}

static void spawner_main(int jobs, int status) {
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (;;) {
    uint32_t id, len;
    uint32_t elen;
    if (full_read(jobs, &id, 4) || full_read(jobs, &len, 4)) _exit(0);
    char *argvbuf = malloc(len + 1);
    if (full_read(jobs, argvbuf, len)) _exit(0);
    argvbuf[len] = 0;
    /* KEY=VALUE entries for the workload's environment, NUL-separated. */
    if (full_read(jobs, &elen, 4)) _exit(0);
    char *envbuf = malloc(elen + 1);
    if (full_read(jobs, envbuf, elen)) _exit(0);
    envbuf[elen] = 0;
    char *argv[256]; int argc = 0;
    for (uint32_t i = 0; i < len && argc < 255; i += strlen(argvbuf + i) + 1) argv[argc++] = argvbuf + i;
    argv[argc] = NULL;
    char out[64], err[64];
    snprintf(out, sizeof out, "/tmp/kspec-job-%u.out", id);
    snprintf(err, sizeof err, "/tmp/kspec-job-%u.err", id);
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      dup2(devnull, 0); dup2(o, 1); dup2(e, 2);
      /* Stopped until the host has started tracing (SIGCONT): the launching is not traced. */
      raise(SIGSTOP);
      for (uint32_t i = 0; i < elen; i += strlen(envbuf + i) + 1) putenv(envbuf + i);
      execvp(argv[0], argv);
      dprintf(2, "kspec: cannot run %s: %s\n", argv[0], strerror(errno));
      _exit(127);
    }
    close(o); close(e); free(argvbuf); free(envbuf);
    int32_t msg[3] = { 1, (int32_t)id, pid };
    full_write(status, msg, sizeof msg);
    int ws = 0;
    if (pid > 0) while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
    int32_t done[3] = { 2, (int32_t)id, pid > 0 ? ws : -1 };
    full_write(status, done, sizeof done);
  }
}

static struct spawner *find(pid_t pid) {
  for (int i = 0; i < MAX_SPAWNERS; i++) if (spawners[i].pid == pid) return &spawners[i];
  return NULL;
}

static void handle(uint32_t id, uint8_t op, char **arg, uint32_t *alen) {
  uint32_t len = 0; int err = 0; char *data;
  switch (op) {
  case READ:
    data = slurp(arg[0], &len, &err);
    reply(id, err, data, len); free(data); return;
  case WRITE: reply(id, put(arg[0], arg[1], alen[1], O_TRUNC), NULL, 0); return;
  case APPEND: reply(id, put(arg[0], arg[1], alen[1], O_APPEND), NULL, 0); return;
  case MKDIR: reply(id, mkdir(arg[0], 0755) ? errno : 0, NULL, 0); return;
  /* A file of the guest's own (a module being loaded), made or replaced. */
  case CREATE: reply(id, put(arg[0], arg[1], alen[1], O_CREAT | O_TRUNC), NULL, 0); return;
  case RMDIR: reply(id, rmdir(arg[0]) ? errno : 0, NULL, 0); return;
  case UNLINK: reply(id, unlink(arg[0]) ? errno : 0, NULL, 0); return;
  case EXISTS: reply(id, access(arg[0], F_OK) ? errno : 0, NULL, 0); return;
  case LIST: {
    DIR *d = opendir(arg[0]);
    if (!d) { reply(id, errno, NULL, 0); return; }
    size_t cap = 4096, n = 0; char *buf = malloc(cap); struct dirent *ent;
    while ((ent = readdir(d))) {
      if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
      size_t l = strlen(ent->d_name) + 1;
      while (n + l > cap) buf = realloc(buf, cap *= 2);
      memcpy(buf + n, ent->d_name, l); n += l;
    }
    closedir(d);
    reply(id, 0, buf, (uint32_t)n); free(buf); return;
  }
  case PIPE: {
    /* Up to about 1 MB of trace_pipe, then closed. The kernel prints whole lines into its
     * reader's page and copies out what a read asks for (4095 bytes at most); what it did
     * not copy dies with the file. So every read asks for a page or more, and reading
     * stops at the size only after a line's end: the page is empty then. (It stopped at
     * exactly 1 MB, dropping the rest of the line it was in, once a megabyte.) */
    int fd = open(arg[0], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { reply(id, errno, NULL, 0); return; }
    size_t cap = 1 << 20, n = 0; char *buf = malloc(cap);
    for (;;) {
      if (cap - n < 8192) {
        if (buf[n - 1] == '\n') break;
        buf = realloc(buf, cap *= 2);
      }
      ssize_t r = read(fd, buf + n, cap - n);
      if (r > 0) { n += (size_t)r; continue; }
      if (r < 0 && errno == EINTR) continue;
      break;
    }
    close(fd);
    reply(id, 0, buf, (uint32_t)n); free(buf); return;
  }
  case KMSG: {
    /* Every record still in the kernel's log buffer; one read() returns one record. */
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { reply(id, errno, NULL, 0); return; }
    size_t cap = 1 << 16, n = 0; char *buf = malloc(cap);
    for (;;) {
      if (cap - n < 8192) buf = realloc(buf, cap *= 2);
      ssize_t r = read(fd, buf + n, cap - n);
      if (r > 0) { n += (size_t)r; continue; }
      if (r < 0 && (errno == EINTR || errno == EPIPE)) continue;
      break;
    }
    close(fd);
    reply(id, 0, buf, (uint32_t)n); free(buf); return;
  }
  case SPAWN: {
    struct spawner *s = find(0);
    int jp[2], sp[2];
    if (!s || pipe2(jp, O_CLOEXEC) || pipe2(sp, O_CLOEXEC)) { reply(id, EMFILE, NULL, 0); return; }
    pid_t pid = fork();
    if (pid == 0) {
      /* Another spawner's pipe held open here would keep it from ever seeing EOF. */
      for (int i = 0; i < MAX_SPAWNERS; i++) if (spawners[i].pid) { close(spawners[i].jobs); close(spawners[i].status); }
      close(jp[1]); close(sp[0]); close(port);
      spawner_main(jp[0], sp[1]);
    }
    close(jp[0]); close(sp[1]);
    s->pid = pid; s->jobs = jp[1]; s->status = sp[0]; s->waits = 0;
    char text[16]; int l = snprintf(text, sizeof text, "%d", pid);
    reply(id, 0, text, (uint32_t)l); return;
  }
  case JOB: {
    struct spawner *s = find((pid_t)atoi(arg[0]));
    if (!s) { reply(id, ESRCH, NULL, 0); return; }
    uint32_t job = next_job++;
    full_write(s->jobs, &job, 4); full_write(s->jobs, &alen[1], 4); full_write(s->jobs, arg[1], alen[1]);
    full_write(s->jobs, &alen[2], 4); if (alen[2]) full_write(s->jobs, arg[2], alen[2]);
    int32_t msg[3];
    if (full_read(s->status, msg, sizeof msg)) { reply(id, EPIPE, NULL, 0); return; }
    char text[32]; int l = snprintf(text, sizeof text, "%u %d", job, msg[2]);
    reply(id, 0, text, (uint32_t)l); return;
  }
  case WAIT: {
    struct spawner *s = find((pid_t)atoi(arg[0]));
    if (!s || s->waits == 1024) { reply(id, ESRCH, NULL, 0); return; }
    s->wait_id[s->waits] = id; s->wait_job[s->waits++] = (uint32_t)atoi(arg[1]);
    return;
  }
  case SPAWN_STOP: {
    struct spawner *s = find((pid_t)atoi(arg[0]));
    if (!s) { reply(id, ESRCH, NULL, 0); return; }
    close(s->jobs); close(s->status);
    /* A spawner keeps no state: end it even if a job of its still runs. */
    kill(s->pid, SIGKILL);
    while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR) {}
    memset(s, 0, sizeof *s);
    reply(id, 0, NULL, 0); return;
  }
  case KILL: {
    pid_t pid = atoi(arg[0]); int sig = atoi(arg[1]);
    if (kill(-pid, sig) && kill(pid, sig)) err = errno;
    reply(id, err, NULL, 0); return;
  }
  case ALIVE: reply(id, kill(atoi(arg[0]), 0) && errno == ESRCH ? ESRCH : 0, NULL, 0); return;
  case UNAME: {
    struct utsname u; uname(&u);
    reply(id, 0, u.release, (uint32_t)strlen(u.release)); return;
  }
  /*
   * A new host process takes the guest over (a VM shared by the spec files of a run): what
   * the last one left running goes (every process but this one), then a banner with the
   * newcomer's nonce, which it finds in the byte stream whatever came before it.
   */
  case HELLO: {
    kill(-1, SIGKILL);
    for (int tries = 0; tries < 200; tries++) {
      pid_t p = waitpid(-1, NULL, WNOHANG);
      if (p < 0 && errno == ECHILD) break;
      if (p <= 0) usleep(10000);
    }
    for (int i = 0; i < MAX_SPAWNERS; i++) if (spawners[i].pid) { close(spawners[i].jobs); close(spawners[i].status); }
    memset(spawners, 0, sizeof spawners);
    full_write(port, "KSPEC-AGENT-HELLO ", 18);
    full_write(port, arg[0], alen[0]);
    full_write(port, "\n", 1);
    return;
  }
  case POWEROFF:
    reply(id, 0, NULL, 0);
    sync();
    reboot(RB_POWER_OFF);
    return;
  default: reply(id, ENOSYS, NULL, 0);
  }
}

/* A spawner reported a job's end: answer the WAIT that asked for it. */
static void reap(struct spawner *s) {
  int32_t msg[3];
  if (full_read(s->status, msg, sizeof msg)) return;
  for (int i = 0; i < s->waits; i++) {
    if (s->wait_job[i] != (uint32_t)msg[1]) continue;
    char text[16]; int l = snprintf(text, sizeof text, "%d", msg[2]);
    reply(s->wait_id[i], 0, text, (uint32_t)l);
    s->wait_id[i] = s->wait_id[--s->waits]; s->wait_job[i] = s->wait_job[s->waits];
    return;
  }
}

int main(int argc, char **argv) {
  port = open(argc > 1 ? argv[1] : "/dev/ttyS1", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (port < 0) { perror("kspec-agent: open port"); return 1; }
  struct termios t;
  if (tcgetattr(port, &t) == 0) { cfmakeraw(&t); cfsetspeed(&t, B4000000); tcsetattr(port, TCSANOW, &t); }
  signal(SIGPIPE, SIG_IGN);
  full_write(port, "KSPEC-AGENT-READY\n", 18);
  for (;;) {
    struct pollfd fds[1 + MAX_SPAWNERS]; struct spawner *who[1 + MAX_SPAWNERS]; int n = 1;
    fds[0].fd = port; fds[0].events = POLLIN;
    for (int i = 0; i < MAX_SPAWNERS; i++) if (spawners[i].pid && spawners[i].waits) { fds[n].fd = spawners[i].status; fds[n].events = POLLIN; who[n++] = &spawners[i]; }
    if (poll(fds, (nfds_t)n, -1) < 0) continue;
    /* virtio-serial with no host process on the other side: wait for the next one. */
    if ((fds[0].revents & POLLHUP) && !(fds[0].revents & POLLIN)) usleep(20000);
    /* As PID 1, the agent inherits orphaned processes: reap them. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    for (int i = 1; i < n; i++) if (fds[i].revents) reap(who[i]);
    if (!(fds[0].revents & POLLIN)) continue;
    uint32_t size, id; uint8_t op;
    /* The host went away mid-frame (its end of virtio-serial closed): drop the frame and wait for the next host. */
    if (full_read(port, &size, 4)) continue;
    if (size < 5 || size > MAX_FRAME) return 2;
    char *frame = malloc(size);
    if (full_read(port, frame, size)) { free(frame); continue; }
    memcpy(&id, frame, 4); op = (uint8_t)frame[4];
    char *arg[4] = { 0 }; uint32_t alen[4] = { 0 }; uint32_t at = 5;
    for (int k = 0; k < 4 && at + 4 <= size; k++) {
      memcpy(&alen[k], frame + at, 4); at += 4;
      arg[k] = malloc(alen[k] + 1); memcpy(arg[k], frame + at, alen[k]); arg[k][alen[k]] = 0; at += alen[k];
    }
    handle(id, op, arg, alen);
    for (int k = 0; k < 4; k++) free(arg[k]);
    free(frame);
  }
}
