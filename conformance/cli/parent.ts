import { readFileSync } from 'node:fs';

/**
 * Calls `onGone` once when the process that started this one ends, so that a server started with
 * `npm run standin &` does not outlive `kill <npm's pid>`. npm runs a script through `sh -c`, and the shell
 * survives npm's SIGKILL while waiting for us; so under npm the shell's parent is watched too. A process
 * whose parent has ended is re-parented (to init or a subreaper), which is what the poll sees; an IPC
 * channel's disconnect counts as well. Linux's /proc is used when present; elsewhere only the direct parent.
 */
export interface ParentWatchOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly intervalMs?: number;
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'busybox']);

function stat(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may itself hold spaces and parentheses, so split at the last ')'.
    const close = text.lastIndexOf(')');
    const ppid = Number(text.slice(close + 2).split(' ')[1]);
    return { comm: text.slice(text.indexOf('(') + 1, close), ppid };
  } catch {
    return undefined;
  }
}

export function watchParent(onGone: () => void, opts: ParentWatchOptions): () => void {
  const parent = process.ppid;
  const parentStat = stat(parent);
  const underNpm = opts.env['npm_lifecycle_event'] !== undefined;
  const grandparent = underNpm && parentStat && SHELLS.has(parentStat.comm) ? parentStat.ppid : undefined;
  let done = false;
  const gone = (): void => {
    if (done) return;
    done = true;
    stop();
    onGone();
  };
  const timer = setInterval(() => {
    if (process.ppid !== parent) gone();
    else if (grandparent !== undefined && stat(parent)?.ppid !== grandparent) gone();
  }, opts.intervalMs ?? 500);
  // The watch alone must not keep the process alive.
  timer.unref();
  const ipc = process.send !== undefined;
  if (ipc) process.once('disconnect', gone);
  function stop(): void {
    clearInterval(timer);
    if (ipc) process.off('disconnect', gone);
  }
  return stop;
}
