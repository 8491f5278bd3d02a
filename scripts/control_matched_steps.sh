#!/usr/bin/env bash
# Compute-matched control for the quick profile (docs/results-control.md): the transferred + k
# arm has seen 3 x max_steps updates (source, transfer, transfer + k) where target-only has seen
# max_steps, so this trains target-only for 3 x max_steps with the same data, config, seed and
# overrides, and scores it on the same test set. Run after `spacy project run all`.
set -euo pipefail
PROFILE=${PROFILE:-quick}
STEPS=${STEPS:-240}
ENCODER=${ENCODER:-assets/encoders/multilingual-e5-small}
for LANG in ${LANGS:-es fr}; do
  OUT=training/${PROFILE}-control/target_only_${STEPS}steps/${LANG}
  python -m spacy train configs/target_only.cfg --output "$OUT" \
    --paths.train training/${PROFILE}/target_only/${LANG}/kall_s1/train.spacy \
    --paths.dev corpus/e3c-${LANG}/dev.spacy --paths.encoder "$ENCODER" \
    --training.max_steps "$STEPS" --training.eval_frequency 40 --system.seed 1 \
    --training.optimizer.learn_rate.warmup_steps $((STEPS / 10)) \
    --training.optimizer.learn_rate.initial_rate 0.00005 --training.batcher.size 1000 \
    --components.transformer.model.freeze_embeddings true --components.transformer.model.freeze_layers 0-7
  python -m clinner_spacy evaluate corpus/e3c-${LANG}/test.spacy --model "$OUT/model-best" \
    --labels DISORDER ANATOMY --bootstrap 1000 \
    --output metrics/${PROFILE}-control/${LANG}/target_only_kall_${STEPS}steps_s1.json \
    --markdown metrics/${PROFILE}-control/${LANG}/target_only_kall_${STEPS}steps_s1.md
done
