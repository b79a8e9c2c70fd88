/** The test side of the fixtures' stdin/stdout MI (fixtures/mi-lines.ts). */
import type { LineProcess } from '@tsips/testkit';

let seq = 0;

export async function miOverLines(p: LineProcess, cmd: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<unknown> {
  const n = ++seq;
  const from = p.lines.length;
  p.send(`mi ${n} ${cmd} ${JSON.stringify(params)}`);
  const line = await p.wait(new RegExp(`^MI(ERR)? ${n} `), timeoutMs, from);
  if (line.startsWith('MIERR')) throw new Error(line);
  return JSON.parse(line.slice(`MI ${n} `.length)) as unknown;
}
