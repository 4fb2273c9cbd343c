#!/usr/bin/env bash
# Issue 12's benchmark: a BENCH_EVIDENCE_MB (default 200) MB evidence upload over loopback to
# `POST /api/v1/admin/orgs/{slug}/evidence`, BENCH_EVIDENCE_RUNS times (default 3). Per run: the
# upload's time (curl's time_total) against `cp` of the same file into a folder on the data
# folder's filesystem followed by `sync` (shown too: the `cp` alone, and the upload followed by
# `sync`, since Ponte's local store does not fsync either), and Ponte's resident
# memory: VmRSS sampled every ~20 ms during the upload, VmHWM just before and after (the high
# water mark is reset before each run when /proc/PID/clear_refs can be written). Builds `ponte`
# (release) unless BENCH_PONTE names a binary, serves it on a fresh SQLite data folder under
# BENCH_EVIDENCE_DIR (default /tmp), and checks every upload was stored (201, the size and
# `duplicate: false` in the answer). Everything runs on loopback.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

SIZE_MB=${BENCH_EVIDENCE_MB:-200}
RUNS=${BENCH_EVIDENCE_RUNS:-3}
SIZE=$((SIZE_MB * 1024 * 1024))
MAX_MB=$((SIZE_MB + 100))

if [ -n "${BENCH_PONTE:-}" ]; then
  PONTE=$BENCH_PONTE
else
  log "building ponte (release, nice 10)"
  nice -n 10 cargo build --release -p server
  PONTE="$CARGO_TARGET_DIR/release/ponte"
fi

WORK=$(mktemp -d "${BENCH_EVIDENCE_DIR:-/tmp}/ponte-bench-evidence.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The median of the numbers (one a line) on standard input.
median() {
  sort -g | awk '{v[NR] = $1} END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# The CPU time (user and system, in clock ticks) a process has used so far.
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)
# A field of /proc/PID/status, in kB.
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# VmRSS (kB) every ~20 ms until killed (read by bash itself; one `sleep` per sample).
sample_rss() {
  local k v _
  while :; do
    while read -r k v _; do [ "$k" = VmRSS: ] && { echo "$v"; break; }; done <"/proc/$1/status" || return 0
    sleep 0.02
  done
}

export PONTE_DATA_DIR="$WORK/data" PONTE_LOG_FORMAT=text RUST_LOG=${BENCH_RUST_LOG:-warn}
unset DATABASE_URL PONTE_EVIDENCE_STORE
mkdir -p "$PONTE_DATA_DIR" "$WORK/files" "$WORK/cp-dst"

# The files: UTF-8 text lines (base64 of random bytes, 76 characters a line), exactly SIZE bytes
# each, every run's its own first line so each upload is new content (the same bytes twice in
# one scope are recognised by their sha256 and not stored again).
log "generating $RUNS text files of $SIZE bytes in $WORK/files"
body_size=$((SIZE - 64))
(base64 -w 76 /dev/urandom || true) | head -c "$body_size" >"$WORK/files/body"
for i in $(seq 1 "$RUNS"); do
  f="$WORK/files/run-$i.log"
  printf '%-63s\n' "ponte bench-evidence run $i $(date -u +%FT%TZ) $$" >"$f"
  cat "$WORK/files/body" >>"$f"
  [ "$(stat -c %s "$f")" -eq "$SIZE" ] || { echo "$f is not $SIZE bytes" >&2; exit 1; }
done
rm "$WORK/files/body"

key=$("$PONTE" admin api-key create --name bench | tail -n1)
port=$(free_port)
url="http://127.0.0.1:$port"
PONTE_BIND="127.0.0.1:$port" "$PONTE" serve --evidence-max-mb "$MAX_MB" >"$WORK/ponte.log" 2>&1 &
server_pid=$!
PIDS+=("$server_pid")
wait_for_server "$url" "$server_pid" 60
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  --data '{"slug":"evidencias","name":"Evidências"}' "$url/api/v1/admin/orgs"

# One upload: prints "<http code> <time_total>"; the answer in $2.
upload() {
  curl -sS -o "$2" -w '%{http_code} %{time_total}\n' -H 'Expect:' -H "Authorization: Bearer $key" \
    -F 'note=bench-evidence' -F "file=@$1;filename=$(basename "$1");type=text/plain" \
    "$url/api/v1/admin/orgs/evidencias/evidence"
}
# Checks an upload's answer: 201, one new record of the file's size.
check() {
  local code=$1 answer=$2 size=$3
  if [ "$code" != 201 ] || ! grep -q "\"size\":$size[,}]" "$answer" || ! grep -q '"duplicate":false' "$answer"; then
    echo "the upload was not stored: HTTP $code, $(head -c 2000 "$answer")" >&2
    tail -n 20 "$WORK/ponte.log" >&2
    exit 1
  fi
}

# Warm the server (first use of the multipart parser, the store, the database) with a small file.
head -c 1048576 "$WORK/files/run-1.log" | sed '1s/.*/ponte bench-evidence warm-up/' >"$WORK/warm.log"
read -r code _ < <(upload "$WORK/warm.log" "$WORK/warm.json")
check "$code" "$WORK/warm.json" "$(stat -c %s "$WORK/warm.log")"
# Every file read once by each side, so both read from the page cache.
for f in "$WORK"/files/run-*.log; do cp "$f" "$WORK/cp-dst/warm" && sync && rm "$WORK/cp-dst/warm"; done
sync

rss_idle=$(status_kb "$server_pid" VmRSS)
HWM_RESET=no
if { echo 5 >"/proc/$server_pid/clear_refs"; } 2>/dev/null; then HWM_RESET=yes; fi
ROWS=()
: >"$WORK/cpu" && : >"$WORK/t-up" && : >"$WORK/t-upsync" && : >"$WORK/t-cp" && : >"$WORK/t-cpsync" && : >"$WORK/growth-sampled" && : >"$WORK/growth-hwm"
for i in $(seq 1 "$RUNS"); do
  f="$WORK/files/run-$i.log"
  # cp + sync of the same file to the data folder's filesystem (and the bare cp's time).
  sync
  t0=$(date +%s.%N)
  cp "$f" "$WORK/cp-dst/copy"
  t1=$(date +%s.%N)
  sync
  t2=$(date +%s.%N)
  rm "$WORK/cp-dst/copy"
  sync
  t_cp=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  t_cpsync=$(awk -v a="$t0" -v b="$t2" 'BEGIN {printf "%.3f", b - a}')

  # The upload, with Ponte's memory watched.
  [ "$HWM_RESET" = yes ] && echo 5 >"/proc/$server_pid/clear_refs"
  rss_before=$(status_kb "$server_pid" VmRSS)
  hwm_before=$(status_kb "$server_pid" VmHWM)
  cpu_before=$(cpu_ticks "$server_pid")
  sample_rss "$server_pid" >"$WORK/rss-$i" &
  sampler=$!
  PIDS+=("$sampler")
  read -r code t_up < <(upload "$f" "$WORK/answer-$i.json")
  t_up=$(awk -v t="$t_up" 'BEGIN {printf "%.3f", t}')
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  hwm_after=$(status_kb "$server_pid" VmHWM)
  rss_after=$(status_kb "$server_pid" VmRSS)
  cpu=$(echo "$cpu_before $(cpu_ticks "$server_pid")" |
    awk -v t="$TICKS" '{printf "%.2f %.2f %.2f", ($3 + $4 - $1 - $2) / t, ($3 - $1) / t, ($4 - $2) / t}')
  read -r cpu_all cpu_user cpu_sys <<<"$cpu"
  # What the upload left in the page cache, flushed: comparable with cp + sync.
  t3=$(date +%s.%N)
  sync
  t4=$(date +%s.%N)
  t_upsync=$(awk -v u="$t_up" -v a="$t3" -v b="$t4" 'BEGIN {printf "%.3f", u + b - a}')
  check "$code" "$WORK/answer-$i.json" "$SIZE"
  peak=$(sort -n "$WORK/rss-$i" | tail -n1)
  samples=$(wc -l <"$WORK/rss-$i")
  g_sampled=$(((peak - rss_before) / 1024))
  g_hwm=$(((hwm_after - hwm_before) / 1024))
  echo "$t_up" >>"$WORK/t-up"
  echo "$t_upsync" >>"$WORK/t-upsync"
  echo "$cpu_all" >>"$WORK/cpu"
  echo "$t_cp" >>"$WORK/t-cp"
  echo "$t_cpsync" >>"$WORK/t-cpsync"
  echo "$g_sampled" >>"$WORK/growth-sampled"
  echo "$g_hwm" >>"$WORK/growth-hwm"
  ROWS+=("$(printf '%-4s %9s %8s %9s %9s %9s %8s | %9s %9s %8s %9s %9s %8s %8s' "$i" "$t_up" "$cpu_all" "$t_upsync" \
    "$t_cpsync" "$t_cp" "$(awk -v u="$t_up" -v c="$t_cpsync" 'BEGIN {printf "%.0f%%", 100 * c / u}')" \
    "$((rss_before / 1024))" "$((peak / 1024))" "+$g_sampled" "$((hwm_before / 1024))" "$((hwm_after / 1024))" \
    "+$g_hwm" "$samples")")
  log "run $i: upload $t_up s (HTTP $code; Ponte's CPU $cpu_all s: user $cpu_user, system $cpu_sys), upload+sync $t_upsync s, cp+sync $t_cpsync s, cp $t_cp s; RSS $((rss_before / 1024)) MB -> peak $((peak / 1024)) MB ($samples samples), VmHWM $((hwm_before / 1024)) -> $((hwm_after / 1024)) MB, after $((rss_after / 1024)) MB"
done
stored=$(find "$PONTE_DATA_DIR/evidence" -type f -size "${SIZE}c" | wc -l)
[ "$stored" -eq "$RUNS" ] || { echo "the evidence folder holds $stored files of $SIZE bytes, not $RUNS" >&2; exit 1; }

m_up=$(median <"$WORK/t-up")
m_upsync=$(median <"$WORK/t-upsync")
m_cpsync=$(median <"$WORK/t-cpsync")
m_cp=$(median <"$WORK/t-cp")
mb() { awk -v s="$SIZE" -v t="$1" 'BEGIN {printf "%.0f MB/s", s / 1048576 / t}'; }
max_sampled=$(sort -n "$WORK/growth-sampled" | tail -n1)
max_hwm=$(sort -n "$WORK/growth-hwm" | tail -n1)
log "summary ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); curl and Ponte on one machine; $SIZE-byte text files; data folder on $(df --output=source,fstype "$PONTE_DATA_DIR" | tail -n1 | tr -s ' '))"
printf '%-4s %9s %8s %9s %9s %9s %8s | %9s %9s %8s %9s %9s %8s %8s\n' run "upload s" "CPU s" "up+sync" "cp+sync" "cp s" ratio \
  "RSS0 MB" "peak MB" growth "HWM0 MB" "HWM1 MB" growth samples
printf '%s\n' "${ROWS[@]}"
echo
echo "idle RSS after the warm-up: $((rss_idle / 1024)) MB; VmHWM reset before each run: $HWM_RESET"
echo "median upload:      $m_up s  ($(mb "$m_up"); Ponte's CPU $(median <"$WORK/cpu") s)"
echo "median upload+sync: $m_upsync s  ($(mb "$m_upsync"))"
echo "median cp+sync:     $m_cpsync s  ($(mb "$m_cpsync"))"
echo "median cp alone:    $m_cp s  ($(mb "$m_cp"))"
echo "throughput, upload vs cp+sync: $(awk -v u="$m_up" -v c="$m_cpsync" 'BEGIN {printf "%.0f %%", 100 * c / u}') (target ≥ 50 %)"
echo "throughput, upload+sync vs cp+sync: $(awk -v u="$m_upsync" -v c="$m_cpsync" 'BEGIN {printf "%.0f %%", 100 * c / u}')"
echo "throughput, upload vs cp alone: $(awk -v u="$m_up" -v c="$m_cp" 'BEGIN {printf "%.0f %%", 100 * c / u}')"
echo "RSS growth during the upload, worst run: sampled +$max_sampled MB, VmHWM +$max_hwm MB (target ≤ 30 MB)"
