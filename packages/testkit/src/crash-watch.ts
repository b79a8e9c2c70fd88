/** Reading a server's output for signs of a crash, for the attack test and the fuzz soak. */

/**
 * True for a line of server output that shows a crash or an error that escaped every handler: outside the
 * JSON log, a stack frame or an `Error:` line (what Node prints before dying); inside it, a message naming an
 * unhandled rejection or uncaught exception (what a process-level safety net would log).
 */
export function isCrashLine(line: string): boolean {
  if (line.startsWith('{')) return /"msg":"[^"]*(unhandled|uncaught)/i.test(line);
  return /^\s+at .+:\d+:\d+\)?$|^\w*Error(\s\[\w+\])?: |unhandled ?rejection|uncaught ?exception/i.test(line);
}

/** Feeds output chunks, splits them into lines and keeps the first crash-like line with what came before it. */
export class CrashWatch {
  #partial = '';
  #recent: string[] = [];
  found = '';

  push(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
  }

  #line(line: string): void {
    if (this.found !== '') {
      if (this.found.length < 8000) this.found += `\n${line}`;
      return;
    }
    this.#recent.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
    if (this.#recent.length > 5) this.#recent.shift();
    if (isCrashLine(line)) this.found = this.#recent.join('\n');
  }
}
