/**
 * `exit` and `drop` stop the script from anywhere, including named routes called from the main route,
 * as they do in OpenSIPS. They throw this sentinel, which the route engine catches.
 */
export class ScriptExit {
  constructor(readonly dropped: boolean) {}
}

export const EXIT = new ScriptExit(false);
export const DROP = new ScriptExit(true);
