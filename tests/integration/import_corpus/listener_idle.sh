#!/bin/sh
# An event listener that only acknowledges events (sup has no equivalent: left out).
printf 'READY\n'
while read -r header; do
  len=$(echo "$header" | sed 's/.*len:\([0-9]*\).*/\1/')
  dd bs=1 count="$len" status=none > /dev/null
  printf 'RESULT 2\nOK'
  printf 'READY\n'
done
