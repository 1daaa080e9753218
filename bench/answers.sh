#!/usr/bin/env bash
# What keeping an Idempotency-Key's answer costs MariaDB, as the answer keeper sends it (bench/README.md, "Thirty-sixth
# round"): batches of answers (~700-byte bodies, the size of a created task's), each batch one command, either
#   update: a transaction of one UPDATE per answer that fills in the answer columns of the key's row (the keeper until
#           the thirty-sixth round),
#   insert-tx: a transaction of one multi-row INSERT of the batch into a table of answers, or
#   insert: that INSERT alone, atomic by itself (autocommit; the keeper since).
# The keys' rows exist first, as the writes leave them. The variants in one run, rotating which goes first, on a
# database of their own; prints MariaDB's CPU (user + system, from /proc) per answer, per rep and the medians, and the
# ratios to update.
#
#   bench/answers.sh                                  # the MariaDB scripts/services.sh runs
#   BENCH_MYSQL_PORT=3321 BENCH_MYSQL_PID=$(cat …/mysqld.pid) ANSWERS_REPS=6 bench/answers.sh
#                                                     # a private server, undisturbed by anything else using MariaDB
#
# Knobs: ANSWERS_REPS (3), ANSWERS_N (answers per variant and rep: 4000), ANSWERS_BATCH (10: about a batch at ~1,000
# keyed writes/s), BENCH_MYSQL_HOST / _PORT (127.0.0.1 / 3306; user taskhub, as scripts/services.sh grants), BENCH_MYSQL_PID
# (the server's PID; default: read from its @@pid_file).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${ANSWERS_REPS:-3}; N=${ANSWERS_N:-4000}; BATCH=${ANSWERS_BATCH:-10}
DB=taskhub_bench_answers
OUT="$PWD/.run/bench"; mkdir -p "$OUT" bench/results
M=(mysql -h"${BENCH_MYSQL_HOST:-127.0.0.1}" -P"${BENCH_MYSQL_PORT:-3306}" -utaskhub -ptaskhub)
PID=${BENCH_MYSQL_PID:-$(cat "$("${M[@]}" -N -e 'SELECT @@pid_file')")}
[ -r "/proc/$PID/stat" ] || { echo "[answers] no MariaDB process $PID (set BENCH_MYSQL_PID)"; exit 1; }
U=01a24a4f-4820-7769-898f-5e24e7c7241b
BODY=$(head -c 700 /dev/zero | tr '\0' 'b')
HEADERS='{"Content-Type":"application/json; charset=utf-8","Location":"/api/tasks/01a24a4f-ffc7-7703-9c28-a075c4e04cfb","ETag":"\\u00221\\u0022"}'

# The two tables as the migrations make them (IdempotencyKeys, then IdempotentAnswers), without the foreign key to users.
"${M[@]}" -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
"${M[@]}" "$DB" -e "
CREATE TABLE keys_with_answer (UserId char(36) CHARACTER SET ascii NOT NULL, \`Key\` varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  Fingerprint varchar(64) NOT NULL, CreatedAt datetime(6) NOT NULL, Status int NULL, Headers varchar(2000) NULL, Body longtext NULL,
  PRIMARY KEY (UserId, \`Key\`), KEY (CreatedAt)) CHARACTER SET utf8mb4;
CREATE TABLE keys_only (UserId char(36) CHARACTER SET ascii NOT NULL, \`Key\` varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  Fingerprint varchar(64) NOT NULL, CreatedAt datetime(6) NOT NULL, PRIMARY KEY (UserId, \`Key\`), KEY (CreatedAt)) CHARACTER SET utf8mb4;
CREATE TABLE answers_tx (UserId char(36) CHARACTER SET ascii NOT NULL, \`Key\` varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  Status int NOT NULL, Headers varchar(2000) NULL, Body longtext NULL, PRIMARY KEY (UserId, \`Key\`),
  FOREIGN KEY (UserId, \`Key\`) REFERENCES keys_only (UserId, \`Key\`) ON DELETE CASCADE) CHARACTER SET utf8mb4;
CREATE TABLE answers (UserId char(36) CHARACTER SET ascii NOT NULL, \`Key\` varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  Status int NOT NULL, Headers varchar(2000) NULL, Body longtext NULL, PRIMARY KEY (UserId, \`Key\`),
  FOREIGN KEY (UserId, \`Key\`) REFERENCES keys_only (UserId, \`Key\`) ON DELETE CASCADE) CHARACTER SET utf8mb4;"

batches() { # batches <update|insert-tx|insert> <first key number>: the commands, one per batch (sent whole: the delimiter is //)
  local v=$1 k=$2 b j s sep
  echo "DELIMITER //"
  for ((b = 0; b < N / BATCH; b++)); do
    s=""
    [ "$v" = insert ] || s="START TRANSACTION;"
    if [ "$v" = update ]; then
      for ((j = 0; j < BATCH; j++, k++)); do
        s+=" UPDATE keys_with_answer SET Status = 201, Headers = '$HEADERS', Body = '$BODY' WHERE UserId = '$U' AND \`Key\` = 'k-$k';"
      done
    else
      s+=" INSERT INTO $([ "$v" = insert ] && echo answers || echo answers_tx) (UserId, \`Key\`, Status, Headers, Body) VALUES"
      sep=""
      for ((j = 0; j < BATCH; j++, k++)); do s+="$sep ('$U', 'k-$k', 201, '$HEADERS', '$BODY')"; sep=","; done
      s+=";"
    fi
    [ "$v" = insert ] && echo "$s//" || echo "$s COMMIT//"
  done
}
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; } # clock ticks
HZ=$(getconf CLK_TCK)
RESULT="bench/results/$(date -u +%Y%m%dT%H%MZ)-answers.txt"
declare -A PER
first=0
for ((rep = 1; rep <= REPS; rep++)); do
  case $((rep % 3)) in 1) order=(update insert-tx insert) ;; 2) order=(insert update insert-tx) ;; 0) order=(insert-tx insert update) ;; esac
  # the keys' rows, as the writes leave them
  "${M[@]}" "$DB" -e "INSERT INTO keys_with_answer (UserId, \`Key\`, Fingerprint, CreatedAt) SELECT '$U', CONCAT('k-', seq), REPEAT('f', 64), NOW(6) FROM seq_${first}_to_$((first + N - 1));
    INSERT INTO keys_only (UserId, \`Key\`, Fingerprint, CreatedAt) SELECT '$U', CONCAT('k-', seq), REPEAT('f', 64), NOW(6) FROM seq_${first}_to_$((first + N - 1));"
  for v in "${order[@]}"; do
    batches "$v" "$first" > "$OUT/answers-$v.sql"
    before=$(cpu)
    "${M[@]}" "$DB" < "$OUT/answers-$v.sql"
    after=$(cpu)
    us=$(awk -v a="$before" -v b="$after" -v hz="$HZ" -v n="$N" 'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / n }')
    PER[$v]+="$us "
    echo "rep $rep ($v): MariaDB ${us} µs CPU per answer" | tee -a "$RESULT"
  done
  first=$((first + N))
done
kept=$("${M[@]}" -N "$DB" -e "SELECT CONCAT_WS(' / ', (SELECT COUNT(*) FROM keys_with_answer WHERE Status = 201), (SELECT COUNT(*) FROM answers_tx), (SELECT COUNT(*) FROM answers))")
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mu=$(echo "${PER[update]}" | median); mt=$(echo "${PER[insert-tx]}" | median); mi=$(echo "${PER[insert]}" | median)
ratio() { awk -v a="$1" -v b="$mu" 'BEGIN { printf "%.2f", a / b }'; }
{
  echo "answers kept (update / insert-tx / insert): $kept (expected $((REPS * N)) each); batch $BATCH, $N answers per variant and rep"
  echo "median MariaDB CPU per answer: update ${mu} µs, insert-tx ${mt} µs ($(ratio "$mt")×), insert ${mi} µs ($(ratio "$mi")×)"
  echo "load average after: $(cat /proc/loadavg)"
} | tee -a "$RESULT"
"${M[@]}" -e "DROP DATABASE $DB"
echo "[answers] results: $RESULT"
