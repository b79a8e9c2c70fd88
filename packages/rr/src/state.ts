/** What rr remembers about one message, kept in a per-message slot of the route context. */
export class RrState {
  /** record_route() was called. */
  record = false;
  /** Extra params for our Record-Route (`;a=b`), from record_route(params) and add_rr_param. */
  params = '';
  /** record_route_preset addresses, when used instead of the socket's. */
  preset: string[] | null = null;
  /** Params of our Route header that loose_route consumed, or null when there was none. */
  routeParams: string | null = null;
}
