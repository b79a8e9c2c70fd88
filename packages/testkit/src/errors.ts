import { basename } from 'node:path';

/** The Debian package that ships each binary the tests run, for the "install it" hint. */
const PACKAGES: Readonly<Record<string, string>> = {
  sipp: 'sip-tester',
  'redis-server': 'redis-server',
  mariadbd: 'mariadb-server',
  'mariadb-install-db': 'mariadb-server',
  kamailio: 'kamailio',
};

/** A binary a test needs is not installed (or cannot be started): names it and the package to install. */
export class MissingBinaryError extends Error {
  readonly code = 'E_TESTKIT_BINARY_MISSING';
  constructor(
    readonly bin: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const pkg = PACKAGES[basename(bin)];
    const hint = pkg !== undefined ? `install the Debian package "${pkg}" (apt-get install ${pkg})` : 'install it or fix PATH';
    super(`E_TESTKIT_BINARY_MISSING: cannot run "${bin}" (${detail}); ${hint}`, options);
    this.name = 'MissingBinaryError';
  }
}
