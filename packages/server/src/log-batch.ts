/**
 * Log lines gathered per turn of the event loop: a busy server calls `log` several times per request (events,
 * requests), and process.stdout is synchronous on Linux for files and pipes, so each call would be a write
 * system call on the main thread. Here the lines of one turn go out as one call, in order, with nothing
 * changed in them (joined with newlines: the sink still writes one line per line).
 */
export interface LineBatch {
  /** Queues one line. */
  readonly log: (line: string) => void;
  /** Writes whatever is queued now (at close, at exit). */
  flush(): void;
}

/** Above this many queued characters the batch is written at once instead of at the end of the turn. */
const MAX_QUEUED_CHARS = 64 * 1024;

export function batchLines(sink: (text: string) => void): LineBatch {
  let queued: string[] = [];
  let chars = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (queued.length === 0) return;
    const text = queued.join('\n');
    queued = [];
    chars = 0;
    sink(text);
  };
  return {
    log(line) {
      queued.push(line);
      chars += line.length;
      if (chars >= MAX_QUEUED_CHARS) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
