/**
 * The local API's version header, apart from its schemas: a client sends it before it has
 * loaded any schema (see localapi.ts, which re-exports both).
 */
export const LOCALAPI_VERSION = "1";
export const LOCALAPI_VERSION_HEADER = "rescue-localapi-version";
