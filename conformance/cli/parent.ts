import { readFileSync } from 'node:fs';

/**
 * Calls `onGone` once when the process that started this one ends, so that a server started with
 * `npm run standin &` does not outlive `kill <npm's pid>`. npm runs a script through `sh -c`, and the shell
 * survives npm's SIGKILL while waiting for us; so under npm the shell's parent is watched too. A process
 * whose parent has ended is re-parented (to init or a subreaper), which is what the poll sees; an IPC
 * channel's disconnect counts as well. Linux's /proc is used when present; elsewhere only the direct parent.
 *
 * A parent can also end before the watch begins, even before this process ran its first line (a starter that
 * forks and exits at once, `sh -c 'cmd &'`). So the parent is read when this module loads, at the command's
 * start, and the watch stops at once when it has changed since, or when the process was born an orphan: its
 * parent is in another session than its own. A starter forks its command into its own session (fork keeps
 * it), so a parent of another session is one that adopted it: init, or a subreaper such as a container's init
 * or `systemd --user`. A container's command under tini or a shell as pid 1 is in init's session: init is its
 * starter. A process that leads a session of its own (`setsid`, a service manager) was detached on purpose:
 * its parent is not watched at all, and it runs until it is signalled. `nohup cmd &` from a shell is watched as
 * any other: its parent, the shell, is alive. Not seen: an orphan adopted by a subreaper of its own session
 * (a supervisor that started the shell that started it without a session of its own), which looks like that
 * subreaper's child.
 */
export interface ParentWatchOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly intervalMs?: number;
}

/** The parent this process had when the command started (read as this module loads). */
const FIRST_PARENT = process.ppid;

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'busybox']);

export interface ProcStat {
  readonly comm: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
}

function stat(pid: number | 'self'): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp session …": comm may itself hold spaces and parentheses, so split at the last ')'.
    const close = text.lastIndexOf(')');
    const [, ppid, pgrp, session] = text
      .slice(close + 2)
      .split(' ')
      .map(Number);
    if (ppid === undefined || pgrp === undefined || session === undefined) return undefined;
    return { comm: text.slice(text.indexOf('(') + 1, close), ppid, pgrp, session };
  } catch {
    return undefined;
  }
}

/** What the watch knows when it begins: this process, the parent it started with, and the parent it has now. */
export interface StartFacts {
  readonly pid: number;
  readonly firstParent: number;
  readonly parentNow: number;
  /** This process's /proc entry; undefined where there is no /proc. */
  readonly self: ProcStat | undefined;
  /** The session of the parent it has now; undefined when its /proc entry cannot be read. */
  readonly parentSession: number | undefined;
}

/**
 * True when the process that started this one counts as ended already when the watch begins. Pure, so that the
 * rule is tested for cases a test machine cannot stage (setsid, a container's pid 1).
 */
export function parentGoneAtStart(f: StartFacts): boolean {
  // It ended while this process was starting: re-parented between the first read and now.
  if (f.parentNow !== f.firstParent) return true;
  const { self } = f;
  if (self === undefined || f.parentSession === undefined) return false;
  // It ended before this process ran at all: the parent is one that adopted it, from another session.
  return self.session !== f.parentSession;
}

export function watchParent(onGone: () => void, opts: ParentWatchOptions): () => void {
  const self = stat('self');
  // A session leader was detached on purpose (setsid, a service manager): no parent to outlive.
  if (self?.session === process.pid) return () => undefined;
  const parent = process.ppid;
  const parentStat = stat(parent);
  const underNpm = opts.env['npm_lifecycle_event'] !== undefined;
  const shell = underNpm && parentStat !== undefined && SHELLS.has(parentStat.comm) ? parentStat : undefined;
  let done = false;
  const gone = (): void => {
    if (done) return;
    done = true;
    stop();
    onGone();
  };
  const timer = setInterval(() => {
    if (process.ppid !== parent) gone();
    else if (shell !== undefined && stat(parent)?.ppid !== shell.ppid) gone();
  }, opts.intervalMs ?? 500);
  // The watch alone must not keep the process alive.
  timer.unref();
  const ipc = process.send !== undefined;
  if (ipc) process.once('disconnect', gone);
  function stop(): void {
    clearInterval(timer);
    if (ipc) process.off('disconnect', gone);
  }
  const atStart = parentGoneAtStart({
    pid: process.pid,
    firstParent: FIRST_PARENT,
    parentNow: parent,
    self,
    parentSession: parentStat?.session,
  });
  // Told after the caller has its stop function, as a later end would be.
  if (atStart) setImmediate(gone);
  return stop;
}
