// The version the server reports (`version`, `stats`, binary Version, -V).
//
// On the wire it is exactly memcached's `1.6.18`, the release whose
// behaviour we reproduce: clients parse it and tolerate nothing extra.
// libmemcached reads major.minor.patch from the start of the string, and
// the `memcached` npm client matches /(\d+)\.(\d+)\.(\d+)$/ at its end, so
// `1.6.18-grow-a-cache-0.1.0` would be reported as version 0.1.0 (and a
// suffix without digits would crash it). Our own name and version show in
// -V, -h and the README instead.

/** The memcached release whose replies and stats we match. */
export const MEMCACHED_COMPAT_VERSION = '1.6.18';

/** Our package version (kept in step with package.json). */
export const PACKAGE_VERSION = '0.1.0';

/** What `version` and `stats` report. */
export const SERVER_VERSION = MEMCACHED_COMPAT_VERSION;

/** For humans: -V and -h. */
export const PRODUCT_VERSION = `grow-a-cache ${PACKAGE_VERSION}`;
