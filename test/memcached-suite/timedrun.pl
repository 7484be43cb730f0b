#!/usr/bin/perl
# memcached's timedrun for run.sh: `timedrun SECONDS COMMAND...` runs
# COMMAND, passes on HUP, INT, USR1, TERM and PIPE to it (MemcachedTest.pm
# signals this process: SIGUSR1 is graceful_stop), and after SECONDS sends
# it SIGTERM. Exits with COMMAND's status. The child stays in this process
# group, so run.sh's per-file timeout ends it with the test.
use strict;
use warnings;

my $limit = shift @ARGV;
my $pid = fork();
die "timedrun: fork: $!\n" unless defined $pid;
if ($pid == 0) {
    exec { $ARGV[0] } @ARGV or exit 127;
}
for my $sig (qw(HUP INT USR1 TERM PIPE)) {
    $SIG{$sig} = sub { kill $sig, $pid };
}
$SIG{ALRM} = sub { kill 'TERM', $pid };
alarm $limit;
my $done;
do { $done = waitpid($pid, 0) } while ($done == -1 && $!{EINTR});
exit(($? & 127) ? 128 + ($? & 127) : $? >> 8);
