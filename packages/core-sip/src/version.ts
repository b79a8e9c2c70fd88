/** The tsips version, shown by MI `version` and in Server/User-Agent headers. */
export const VERSION = '0.1.0';
