#!/bin/sh
# An event listener that ends supervisord on the first event it gets (the "stop the container
# when a program dies" pattern). Speaks supervisord's listener protocol on stdin/stdout.
printf 'READY\n'
while read -r header; do
  len=$(echo "$header" | sed 's/.*len:\([0-9]*\).*/\1/')
  dd bs=1 count="$len" status=none > /dev/null
  kill -TERM "$PPID"
  printf 'RESULT 2\nOK'
  printf 'READY\n'
done
