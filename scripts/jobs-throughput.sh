#!/bin/bash
# Throughput of the NATS JetStream proof queue with N worker processes
# (bench/results/jobs-cpu-2core.txt): A (zklora prove --synthetic) queues
# MODULES proofs on its embedded server, N 'zklora worker' processes prove.
# usage: ZKLORA=path/to/zklora KEYS=keydir scripts/jobs-throughput.sh SHAPE MODULES WORKERS ROUND
# KEYS must already hold dev keys for SHAPE (run zklora prove --synthetic --shape SHAPE once).
set -u
B=${ZKLORA:-zklora}; K=${KEYS:?set KEYS}; shape=$1; mods=$2; nw=$3; round=$4
d=$(mktemp -d); port=$((15000 + RANDOM % 5000))
$B prove --synthetic --shape $shape --modules $mods --tokens 16 --keys $K --out $d/out --transcript-out $d/tr \
  --nats embedded --nats-listen 127.0.0.1:$port --nats-token-file $d/token --local-provers 0 --json --quiet > $d/prove.json 2>$d/prove.err &
pp=$!
for i in $(seq 100); do [ -s $d/token ] && (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
wp=()
for i in $(seq $nw); do
  $B worker --nats nats://127.0.0.1:$port --nats-token-file $d/token --synthetic --shape $shape --modules $mods --keys $K --json > $d/w$i.json 2>&1 &
  wp+=($!)
done
wait $pp; rc=$?
for p in "${wp[@]}"; do kill -TERM $p; done; wait
ps=$(python3 -c "import json;print(json.load(open('$d/prove.json'))['prove_s'])" 2>/dev/null || echo ERR)
echo "$round $shape x$mods workers=$nw prove_s=$ps rc=$rc proven=$(tail -qn1 $d/w*.json | python3 -c 'import sys,json;print([json.loads(l)["proven"] for l in sys.stdin])') loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf $d
