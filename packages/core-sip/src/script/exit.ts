/**
 * `exit` and `drop` stop the script from anywhere, including named routes called from the main route,
 * as they do in OpenSIPS. They throw this sentinel, which the route engine catches.
 */
export class ScriptExit extends Error {
  // The two instances below are made once and thrown again and again: no stack is captured per exit().
  constructor(readonly dropped: boolean) {
    super(dropped ? 'drop' : 'exit');
    this.name = 'ScriptExit';
  }
}

export const EXIT = new ScriptExit(false);
export const DROP = new ScriptExit(true);
