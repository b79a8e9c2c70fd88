/** The module example of the README, kept here so a test proves it works. */
import { defineModule, z, type RouteContext } from '@core/sip';

export interface HelloApi {
  greet(name: string): string;
}
declare module '@core/sip' {
  interface ModuleApis {
    hello: HelloApi;
  }
  interface RouteContext {
    hello(name: string): number;
  }
}

export default defineModule({
  name: 'hello',
  version: '1.0.0',
  deps: [{ module: 'rr', onMissing: 'warn' }],
  params: { greeting: z.string().default('hello') },
  stats: { greeted: { kind: 'counter', help: 'Greetings sent' } },
  init: (ctx) => ({ greeting: ctx.params.greeting, greeted: ctx.stats.counter('greeted') }),
  api: (s): HelloApi => ({ greet: (n) => `${s.greeting} ${n}` }),
  functions: {
    hello: {
      routes: ['request'],
      handler: (s, ctx: RouteContext, name: string) => (s.greeted.inc(), ctx.sl_send_reply(200, `${s.greeting} ${name}`)),
    },
  },
  mi: { hello_count: { help: 'How many greetings', handler: (s) => ({ greeted: s.greeted.get() }) } },
});
