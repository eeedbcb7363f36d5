#!/usr/bin/env bash
# Ingest through Kafka (docs/BENCHMARKS.md): a local broker (KRaft, from the kafka_2.13 artifact the
# server's tests use), N ingest nodes and one writer, each in a JVM of its own, and one load
# generator against each ingest node at once. Prints each generator's result, their sum, the CPU
# each process spent a record, and the writer's lag: how long after the load every acknowledged
# record was in the lake.
# Example: bench/kafka.sh --ingest-nodes 2 --duration 30s
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
nodes=1
duration=30s
warmup=10s
clients=4
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ingest-nodes) nodes="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    *) echo "usage: bench/kafka.sh [--ingest-nodes 1|2] [--duration 30s] [--warmup 10s] [--clients 4 (per node)]" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d)"
pids=()
cleanup() {
  # Nodes start in subshells ($(start_node ...)), so their pids are in files, not in $pids.
  for p in "${pids[@]}" $(cat "$work"/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The broker runs on the server's test class path, which holds kafka_2.13.
mvn -q -B -o -pl hindsight-server dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/kafka.cp" >&2 \
  || mvn -q -B -pl hindsight-server dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/kafka.cp" >&2
kafka_port="$(free_port)"
controller_port="$(free_port)"
cat > "$work/broker.properties" <<EOF
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.voters=1@127.0.0.1:$controller_port
log.dirs=$work/broker-log
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
kafka_java=(java -Xmx1g -cp "$(cat "$work/kafka.cp")")
"${kafka_java[@]}" kafka.tools.StorageTool format -t "$(python3 -c 'import uuid, base64; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')" \
  -c "$work/broker.properties" > "$work/format.log" 2>&1
"${kafka_java[@]}" kafka.Kafka "$work/broker.properties" > "$work/broker.log" 2>&1 &
broker=$!
pids+=("$broker")

transport="transport: {type: kafka, bootstrap-servers: \"127.0.0.1:$kafka_port\", topic: bench, partitions: 4}"
start_node() { # role name -> prints the port once the node answers
  local role="$1" name="$2" port
  port="$(free_port)"
  printf 'role: %s\n%s\n' "$role" "$transport" > "$work/$name.yaml"
  java --add-opens=java.base/java.nio=ALL-UNNAMED ${BENCH_SERVER_OPTS:-} -cp "$classpath" io.hindsight.bench.server.ServerMain --data-dir "$work/$name" --port "$port" \
    --config "$work/$name.yaml" > "$work/$name.log" 2>&1 &
  echo "$!" > "$work/$name.pid"
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && { echo "$port"; return; }
    kill -0 "$(cat "$work/$name.pid")" 2>/dev/null || break
    sleep 0.2
  done
  echo "the $name node did not start:" >&2
  tail -30 "$work/$name.log" >&2
  exit 1
}
writer_port="$(start_node writer writer)"
ingest_ports=()
for n in $(seq "$nodes"); do
  ingest_ports+=("$(start_node ingest "ingest-$n")")
done
echo "broker on $kafka_port, writer on $writer_port, ingest nodes on ${ingest_ports[*]}"

before=()
for p in "$broker" $(cat "$work"/*.pid); do before+=("$(cpu_ticks "$p")"); done
gens=()
for port in "${ingest_ports[@]}"; do
  java -cp "$classpath" io.hindsight.bench.server.LoadGenerator --url "http://127.0.0.1:$port" --clients "$clients" \
    --duration "$duration" --warmup "$warmup" > "$work/load-$port.txt" 2>&1 &
  gens+=("$!")
done
for g in "${gens[@]}"; do wait "$g"; done
load_end="$(date +%s.%N)"
after=()
for p in "$broker" $(cat "$work"/*.pid); do after+=("$(cpu_ticks "$p")"); done

rows_written() {
  curl -sf "http://127.0.0.1:$writer_port/metrics" | awk '/^hindsight_lake_rows_written/ {print int($2)}'
}
acked=0
for port in "${ingest_ports[@]}"; do
  acked=$((acked + $(awk '/^ACKED/ {print $2}' "$work/load-$port.txt")))
done
# The writer's lag: from the end of the load until every acknowledged record is in the lake.
rows=0
for _ in $(seq 1200); do
  rows="$(rows_written)"
  [[ "$rows" -ge "$acked" ]] && break
  sleep 0.1
done
caught_up="$(date +%s.%N)"

total=0
for port in "${ingest_ports[@]}"; do
  echo "ingest node $port: $(grep -E '^RESULT' "$work/load-$port.txt")"
  r="$(grep -E '^RESULT' "$work/load-$port.txt" | sed -E 's/.*records_per_s=([0-9]+).*/\1/')"
  total=$((total + r))
done
seconds="$(echo "$duration" | sed -E 's/s$//')"
hz="$(getconf CLK_TCK)"
names=(broker $(for f in "$work"/*.pid; do basename "$f" .pid; done))
cpu_line=""
for i in "${!names[@]}"; do
  us="$(awk -v d="$(( ${after[$i]} - ${before[$i]} ))" -v hz="$hz" -v r="$total" -v s="$seconds" -v w="${warmup%s}" \
    'BEGIN { printf "%.1f", d / hz * 1e6 / (r * (s + w)) }')"
  cpu_line+=" ${names[$i]}=${us}"
done
echo "TOTAL ingest_nodes=$nodes records_per_s=$total"
echo "CPU_US_PER_RECORD$cpu_line (CPU over warm-up and run, per record acknowledged at the measured rate)"
awk -v a="$caught_up" -v b="$load_end" -v rows="$rows" -v acked="$acked" \
  'BEGIN { printf "WRITER_LAG %.1f s after the load ended the lake held %d of the %d records acknowledged%s\n", a - b, rows, acked, (rows >= acked ? "" : " (gave up after 120 s)") }'
