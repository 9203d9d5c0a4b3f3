#!/bin/sh
# A stand-in program for the differential import test (test_import_differential.py):
#   standin.sh ID sleep | exit CODE | run SECONDS CODE | checkenv
# Every run appends its pid to runs/ID beside this script (a helper's to runs/ID.pids), so runs are counted the same way
# under supervisord and supd, and the test can kill whatever is left by pid.
runs="$(dirname "$0")/runs"
echo $$ >> "$runs/$1"
echo "run of $1"
echo "stderr of $1" >&2
case "$2" in
  sleep) exec sleep 1000 ;;
  exit) exit "$3" ;;
  run) sleep "$3" & echo $! >> "$runs/$1.pids"; trap 'kill $! 2>/dev/null; exit 0' TERM INT; wait $!; exit "$4" ;;
  checkenv) [ "$GREETING" = "hello world" ] && [ "$LIST" = "x,y" ] && exec sleep 1000; exit 1 ;;
esac
exit 99
