#!/usr/bin/env bash
# Fuzzes one of the kit's parsers with libFuzzer and AddressSanitizer, outside the default build.
#
#   scripts/fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]
#   scripts/fuzz/run.sh list
#
# The library targets are built with `-sanitize=fuzzer,address` into .build-fuzz (a scratch path
# of its own, so `swift build` and `swift test` are untouched), the harness in
# scripts/fuzz/targets/TARGET.swift is linked against their objects, and libFuzzer runs it on a
# seed corpus copied from the kit's fixtures. Crashes land in .build-fuzz/findings/TARGET/.
# Linux only (libFuzzer ships with the Swift toolchain there).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/scripts/fuzz"
scratch="$root/.build-fuzz"
targets="safetensors tokenizer-json vocab-txt vocab-json-merges config-json readers training-state json-duplicate-keys"

target="${1:-}"
seconds="${2:-60}"
shift $(($# > 2 ? 2 : $#))
if [[ -z "$target" || "$target" == list ]]; then
  echo "targets: $targets"
  exit 0
fi
[[ -f "$here/targets/$target.swift" ]] || { echo "unknown target '$target' (one of: $targets)" >&2; exit 2; }

# The library targets each harness links, in dependency order.
case "$target" in
  safetensors | config-json) modules="Exercises Int8Kernels FileInput TensorCore Models" ;;
  tokenizer-json | vocab-txt | vocab-json-merges) modules="Exercises FileInput Tokenizers" ;;
  readers) modules="Exercises FileInput Datasets" ;;
  json-duplicate-keys) modules="FileInput" ;;
  training-state) modules="Exercises Int8Kernels FileInput TensorCore Models Tokenizers Notebook Training" ;;
esac

# SwiftPM builds only the last --target it is given, so one call per library.
for module in $modules; do
  swift build --package-path "$root" --scratch-path "$scratch" --target "$module" \
    -Xswiftc -sanitize=fuzzer,address >&2
done
bin="$scratch/debug"
objects=()
for module in $modules; do objects+=("$bin/$module.build"/*.o); done
mkdir -p "$scratch/fuzzers"
fuzzer="$scratch/fuzzers/$target"
# ld.gold warns about every ASan helper symbol; show its output only when linking fails.
swiftc -sanitize=fuzzer,address -parse-as-library -g -I "$bin/Modules" \
  "$here/targets/$target.swift" "${objects[@]}" -o "$fuzzer" >"$scratch/fuzzers/$target.log" 2>&1 \
  || { grep -v "Cannot export local symbol" "$scratch/fuzzers/$target.log" >&2; exit 1; }

# Seeds: the kit's own files of this kind (small ones; libFuzzer mutates them from there).
corpus="$scratch/corpus/$target"
mkdir -p "$corpus" "$scratch/findings/$target"
seed() { cp "$@" "$corpus/" 2>/dev/null || true; }
fixtures="$root/Tests/ModelsTests/Fixtures"
n=0
case "$target" in
  safetensors)
    for f in "$fixtures"/*.safetensors "$fixtures"/{kit-tiny-bert,kit-tiny-gpt2,kit-tiny-roberta,tiny-bert,tiny-gpt2}/model.safetensors; do
      n=$((n + 1)); cp "$f" "$corpus/seed-$n.safetensors"
    done ;;
  tokenizer-json)
    for f in "$fixtures"/*/tokenizer.json; do n=$((n + 1)); cp "$f" "$corpus/seed-$n.json"; done ;;
  json-duplicate-keys)
    for f in "$fixtures"/*/tokenizer.json "$fixtures"/*/config.json; do n=$((n + 1)); cp "$f" "$corpus/seed-$n.json"; done
    printf '{"a": 1, "b": {"a": [{"c": "\\"", "c": 2}]}, "a": 3}' >"$corpus/seed-repeats.json" ;;
  vocab-txt)
    cp "$fixtures/kit-tiny-bert/vocab.txt" "$corpus/seed-kit-tiny-bert.txt"
    head -c 4000 "$root/datasets/models/bert-mini/vocab.txt" >"$corpus/seed-bert-mini.txt" ;;
  vocab-json-merges)
    for d in kit-tiny-gpt2 kit-tiny-roberta tiny-roberta; do
      # The first byte decides whether the directory is RoBERTa's: '{' (0x7b) is odd, ' ' even.
      { cat "$fixtures/$d/vocab.json"; printf '\0'; cat "$fixtures/$d/merges.txt"; } >"$corpus/seed-$d"
      { printf ' '; cat "$fixtures/$d/vocab.json"; printf '\0'; cat "$fixtures/$d/merges.txt"; } >"$corpus/seed-$d-gpt2"
    done ;;
  config-json)
    for f in "$fixtures"/*/config.json "$root"/datasets/models/*/config.json; do
      n=$((n + 1)); cp "$f" "$corpus/seed-$n.json"
    done ;;
  training-state)
    # A checkpoint's three JSON files, as a short Trainer run writes them (TrainerHooksTests).
    printf '{"output_dir": "runs/x", "learning_rate": 5e-05, "num_train_epochs": 3, "per_device_train_batch_size": 8, "seed": 42, "lr_scheduler_type": "linear", "warmup_ratio": 0.1, "weight_decay": 0.01, "save_steps": 10, "eval_strategy": "steps"}' >"$corpus/seed-training-args.json"
    printf '{"global_step": 4, "epoch": 1.0, "log_history": [{"step": 2, "loss": 0.69, "learning_rate": 5e-05}], "best_metric": 0.5, "best_model_checkpoint": "runs/x/checkpoint-2"}' >"$corpus/seed-trainer-state.json"
    printf '{"words": [1, 2, 3, 4], "seed": 42}' >"$corpus/seed-rng.json" ;;
  readers)
    # First byte: the format (index into tsv, csv, jsonl, label-text) and the policy bits.
    for task in sentiment intent reply; do
      { printf '\x00'; head -n 12 "$root/datasets/$task/train.tsv"; } >"$corpus/seed-$task.tsv"
    done
    printf '\x01sentence,label\n"a, ""quoted""\nfield",pos\nplain,neg\n' >"$corpus/seed.csv"
    printf '\x02{"text": "good", "label": 1}\n{"sentence1": "a", "sentence2": "b", "label": "x"}\n' >"$corpus/seed.jsonl"
    printf '\x03pos a fine film\r\nneg a dull one\n' >"$corpus/seed.txt"
    printf '\x05sentence1,sentence2,label\nA,B,1\n' >"$corpus/seed-skip.csv" ;;
esac

# One worker, one job (the machine is shared): libFuzzer then runs the fuzzer in one child process
# and writes its output to fuzz-0.log, shown at the end. -rss_limit_mb and -malloc_limit_mb catch
# unbounded allocations, -timeout hangs. Leak detection is off: LeakSanitizer reports a buffer
# Foundation's Data(contentsOf:) keeps (4 KB, once per process), which is not a parser's doing.
cd "$scratch/findings/$target"
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# The Swift runtime's own backtracer would take over a crash (and can stall); libFuzzer reports it.
export SWIFT_BACKTRACE=enable=no
status=0
"$fuzzer" "$corpus" -max_total_time="$seconds" -workers=1 -jobs=1 -timeout=10 -rss_limit_mb=2048 \
  -malloc_limit_mb=1024 -max_len=65536 -detect_leaks=0 -print_final_stats=1 "$@" || status=$?
tail -n 40 fuzz-0.log
echo "findings (crash-*, leak-*, timeout-*, oom-*): $scratch/findings/$target" >&2
exit "$status"
