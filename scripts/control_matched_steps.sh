#!/usr/bin/env bash
# Compute-matched control (docs/results-control.md; project command `control`): the transferred + k
# arm has seen 3 x max_steps updates (source, transfer, transfer + k) where target-only has seen
# max_steps, so this trains target-only for 3 x max_steps with the same data, config, seed and
# profile overrides (all read from the plan), and scores it on the same test set.
# Run after `spacy project run all`.
set -euo pipefail
PROFILE=${PROFILE:-quick}
PLAN=training/${PROFILE}/plan.json
[ -f "$PLAN" ] || { echo "$PLAN: no plan (run spacy project run all . --vars.profile $PROFILE first)" >&2; exit 1; }
setting() { python -c "import json,sys; s=json.load(open('$PLAN'))['settings']; print($1)"; }
STEPS=${STEPS:-$(setting "3 * int(s['max_steps'])")}
ENCODER=${ENCODER:-$(setting "s.get('encoder') or 'assets/encoders/multilingual-e5-small'")}
read -r -a OVERRIDES <<< "$(setting "' '.join(s.get('overrides') or [])")"
for LANG in ${LANGS:-es fr}; do
  OUT=training/${PROFILE}-control/target_only_${STEPS}steps/${LANG}
  echo "== ${LANG}: target-only, ${STEPS} steps -> ${OUT}"
  python -m spacy train configs/target_only.cfg --output "$OUT" \
    --paths.train training/${PROFILE}/target_only/${LANG}/kall_s1/train.spacy \
    --paths.dev corpus/e3c-${LANG}/dev.spacy --paths.encoder "$ENCODER" \
    --training.max_steps "$STEPS" --training.eval_frequency $((STEPS / 4)) --system.seed 1 \
    --training.optimizer.learn_rate.warmup_steps $((STEPS / 10)) "${OVERRIDES[@]}"
  python -m clinner_spacy evaluate corpus/e3c-${LANG}/test.spacy --model "$OUT/model-best" \
    --labels DISORDER ANATOMY --bootstrap 1000 --force \
    --output metrics/${PROFILE}-control/${LANG}/target_only_kall_${STEPS}steps_s1.json \
    --markdown metrics/${PROFILE}-control/${LANG}/target_only_kall_${STEPS}steps_s1.md
done
