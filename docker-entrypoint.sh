#!/bin/sh
# Container entrypoint, shaped like the official memcached image's:
#   docker run IMAGE -m 256        -> grow-a-cache -l 0.0.0.0 -m 256
#   docker run IMAGE memcached -vv -> grow-a-cache -l 0.0.0.0 -vv
#   docker run IMAGE sh            -> sh
# Inside a container the server must listen on every interface to be
# reachable through a published port, so -l 0.0.0.0 is added unless the
# user gave -l/--listen (or -s, a unix socket) themselves.
set -e

# Only flags: run the server with them.
if [ "${1#-}" != "$1" ]; then
	set -- grow-a-cache "$@"
fi

if [ "$1" = 'grow-a-cache' ] || [ "$1" = 'memcached' ]; then
	shift
	listen_given=no
	for arg in "$@"; do
		case "$arg" in
			-l*|--listen|--listen=*|-s*|--unix-socket|--unix-socket=*) listen_given=yes ;;
		esac
	done
	if [ "$listen_given" = no ]; then
		set -- -l 0.0.0.0 "$@"
	fi
	exec node /app/dist/lib/cli/main.js "$@"
fi

exec "$@"
