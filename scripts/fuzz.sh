#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every libFuzzer program of a DFU_SMP_FUZZ build (`make fuzz`) for SECONDS seconds on its
# corpus, then prints one line per target: executions per second, coverage (libFuzzer's cov:
# and ft: of its last stats line) and crashes (files saved into the corpus, where the replay
# test finds them from then on). Exit status 1 when a target crashed.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]
set -u
build=$1
seconds=$2
shift 2
targets=$*
if [ -z "$targets" ]; then
	targets=$(cd "$build/fuzz" && ls fuzz-* | sed -n 's/^fuzz-//p' | grep -v '^make-seeds$')
fi
status=0
printf '%-12s %8s %10s %8s %8s %8s\n' target seconds execs/s cov ft crashes
for t in $targets; do
	dir=$build/fuzz
	mkdir -p "$dir/work_$t"
	log=$dir/fuzz_$t.log
	"$dir/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$dir/corpus_$t/" "$dir/work_$t" "$dir/corpus_$t" >"$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
	cov=$(printf '%s\n' "$stats" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$stats" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	crashes=$(ls "$dir/corpus_$t" | grep -c -E '^(crash|leak|timeout|oom)-')
	printf '%-12s %8s %10s %8s %8s %8s\n' "$t" "$seconds" "${eps:-?}" "${cov:-?}" "${ft:-?}" \
		"$crashes"
	if [ "$rc" -ne 0 ]; then
		echo "fuzz-$t failed (exit $rc): see $log" >&2
		status=1
	fi
done
exit $status
