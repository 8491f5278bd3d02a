"""Markdown tables of the results page: the transfer table, per-label scores, projection statistics."""
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .collect import Cell, Record, aggregate, paired_gain

ARM_NAMES = {
    "source": "source (English)",
    "target_only": "target-only",
    "zero_shot": "zero-shot",
    "transfer": "transferred",
    "transfer_k": "transferred + k",
    "zero_shot_guard": "zero-shot + dialogue components",
    "self_training": "self-training",
    "baseline": "spaCy CPU default (CNN ner)",
    "transfer_mix": "translated + k mixed (La-DTL control)",
    "transfer_mmd": "translated + k mixed + label-aware MMD (La-DTL)",
    "translate_test": "translate-test (English model on the translation, spans aligned back)",
}

# The dialogue arms in table order, with what each one is (dialogue/plan.py builds them).
DIALOGUE_ARMS = {
    "zero_shot": "zero-shot: the written-text source model as is",
    "zero_shot_guard": "zero-shot + turn segmentation + speaker guard (no training)",
    "target_only": "target-only: k gold dialogues alone",
    "transfer_k": "transferred: the source model fine-tuned on k gold dialogues",
    "self_training": "self-training: transferred, on gold train + pseudo-labelled raw dialogue",
}


def pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def with_ci(f: Optional[float], low: Optional[float], high: Optional[float], signed: bool = False) -> str:
    if f is None:
        return "–"
    head = f"{100 * f:+.1f}" if signed else pct(f)
    if low is None or high is None:
        return head
    return f"{head} [{100 * low:.1f}, {100 * high:.1f}]" if not signed else f"{head} [{100 * low:+.1f}, {100 * high:+.1f}]"


def arm_order(arm: str) -> int:
    """Position of an arm in table order (ARM_NAMES), unknown arms last."""
    return list(ARM_NAMES).index(arm) if arm in ARM_NAMES else len(ARM_NAMES)


def k_key(k: Optional[str]) -> Tuple[int, int]:
    """Sort k numerically, "all" last, None (no target documents) first."""
    if k is None:
        return (0, 0)
    return (2, 0) if k == "all" else (1, int(k))


def group(records: Iterable[Record]) -> Dict[Tuple[str, str, Optional[str]], List[Record]]:
    """(lang, arm, k) -> records over seeds."""
    out: Dict[Tuple[str, str, Optional[str]], List[Record]] = defaultdict(list)
    for rec in records:
        out[(rec.lang, rec.arm, rec.k)].append(rec)
    return dict(out)


def k_label(k: Optional[str], recs: Sequence[Record]) -> str:
    n = next((r.n_train_docs for r in recs if r.n_train_docs), None)
    return f"all ({n} docs)" if k == "all" and n else str(k)


def transfer_table(records: Sequence[Record], langs: Sequence[str]) -> str:
    """Target-only(k) against transferred + k, with the paired gain, per language and k."""
    groups = group(records)
    lines = ["| target | k | target-only | transferred + k | gain |", "|---|---|---|---|---|"]
    for lang in langs:
        ks = sorted({k for (lg, arm, k) in groups if lg == lang and arm in ("target_only", "transfer_k")}, key=k_key)
        for k in ks:
            base, ours = groups.get((lang, "target_only", k), []), groups.get((lang, "transfer_k", k), [])
            cb, co = aggregate(base), aggregate(ours)
            gain = paired_gain(ours, base) if base and ours else (None, None, None)
            lines.append(f"| {lang} | {k_label(k, base or ours)} | {_cell(cb)} | {_cell(co)} | {with_ci(*gain, signed=True)} |")
    return "\n".join(lines)


def ladtl_table(records: Sequence[Record], langs: Sequence[str]) -> str:
    """La-DTL's claim (docs/mmd.md): label-aware MMD against the same mixed training without it.

    Both arms train the source model on the translated and the k target documents together;
    transfer_mmd adds the MMD term. The paired gain of transfer_mmd over transfer_mix is the
    MMD's own effect; the one over transferred + k compares one mixed stage with two stages.
    Empty ("") when the plan has no La-DTL arms.
    """
    groups = group(records)
    lines = ["| target | k | mixed (control) | mixed + MMD | MMD over control | transferred + k | MMD over transferred + k |",
             "|---|---|---|---|---|---|---|"]
    found = False
    for lang in langs:
        ks = sorted({k for (lg, arm, k) in groups if lg == lang and arm in ("transfer_mmd", "transfer_mix")}, key=k_key)
        for k in ks:
            mix, mmd = groups.get((lang, "transfer_mix", k), []), groups.get((lang, "transfer_mmd", k), [])
            tk = groups.get((lang, "transfer_k", k), [])
            g_mix = paired_gain(mmd, mix) if mmd and mix else (None, None, None)
            g_tk = paired_gain(mmd, tk) if mmd and tk else (None, None, None)
            lines.append(f"| {lang} | {k_label(k, mmd or mix)} | {_cell(aggregate(mix))} | {_cell(aggregate(mmd))} | "
                         f"{with_ci(*g_mix, signed=True)} | {_cell(aggregate(tk))} | {with_ci(*g_tk, signed=True)} |")
            found = True
    return "\n".join(lines) if found else ""


def no_target_table(records: Sequence[Record], langs: Sequence[str]) -> str:
    """Arms that use no target-language annotation directly: zero-shot, translate-test, transferred.

    Translate-test (docs/translate-test.md) runs the same English source model as zero-shot, on
    the translated text: its gain over zero-shot is paired on the same test documents.
    """
    groups = group(records)
    has_tt = any(groups.get((lang, "translate_test", None)) for lang in langs)
    head = "| target | zero-shot (source model as is) |"
    rule = "|---|---|"
    if has_tt:
        head += " translate-test | gain over zero-shot |"
        rule += "---|---|"
    lines = [head + " transferred (translated data) | gain over zero-shot |", rule + "---|---|"]
    for lang in langs:
        zs, tr = groups.get((lang, "zero_shot", None), []), groups.get((lang, "transfer", None), [])
        tt = groups.get((lang, "translate_test", None), [])
        if not zs and not tr:
            continue
        row = f"| {lang} | {_cell(aggregate(zs))} |"
        if has_tt:
            tt_gain = paired_gain(tt, zs) if zs and tt else (None, None, None)
            row += f" {_cell(aggregate(tt)) if tt else '–'} | {with_ci(*tt_gain, signed=True)} |"
        gain = paired_gain(tr, zs) if zs and tr else (None, None, None)
        lines.append(row + f" {_cell(aggregate(tr))} | {with_ci(*gain, signed=True)} |")
    return "\n".join(lines)


def arm_table(records: Sequence[Record]) -> str:
    """Every (language, arm, k) with micro P/R/F1, interval and seeds: the complete listing."""
    groups = group(records)
    lines = ["| target | arm | k | P | R | F1 [95% CI] | seeds | sd |", "|---|---|---|---|---|---|---|---|"]
    for (lang, arm, k), recs in sorted(groups.items(), key=lambda x: (x[0][0], arm_order(x[0][1]), k_key(x[0][2]))):
        cell = aggregate(recs)
        p = sum(r.p or 0 for r in recs) / len(recs)
        r = sum(r.r or 0 for r in recs) / len(recs)
        lines.append(f"| {lang} | {ARM_NAMES.get(arm, arm)} | {k_label(k, recs) if k else '–'} | {pct(p)} | {pct(r)} "
                     f"| {with_ci(cell.f, cell.low, cell.high)} | {cell.n_seeds} | {pct(cell.sd) if cell.sd else '–'} |")
    return "\n".join(lines)


def per_label_table(records: Sequence[Record], lang: str) -> str:
    """Per-label strict P/R/F1 (mean over seeds) of every arm of one language."""
    groups = {key: recs for key, recs in group(records).items() if key[0] == lang}
    labels = sorted({lb for recs in groups.values() for r in recs for lb in r.per_label})
    head = "| arm | k | " + " | ".join(f"{lb} P | {lb} R | {lb} F1 | {lb} support" for lb in labels) + " |"
    lines = [head, "|---|---|" + "---:|" * (4 * len(labels))]
    for (_, arm, k), recs in sorted(groups.items(), key=lambda x: (arm_order(x[0][1]), k_key(x[0][2]))):
        cells = []
        for lb in labels:
            vals = [r.per_label.get(lb, {}) for r in recs]
            mean = {m: sum(v.get(m, 0.0) for v in vals) / len(vals) for m in ("p", "r", "f")}
            support = vals[0].get("support", "–") if vals else "–"
            cells.append(f"{pct(mean['p'])} | {pct(mean['r'])} | {pct(mean['f'])} | {support}")
        lines.append(f"| {ARM_NAMES.get(arm, arm)} | {k_label(k, recs) if k else '–'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def domain_table(records: Sequence[Record], target: str, labels: Sequence[str]) -> str:
    """The dialogue arms: micro P/R/F1 with interval, macro F1, F1 per label, and the paired gain
    over target-only with the same k (arms without k: over target-only on all gold dialogues)."""
    groups = {key: recs for key, recs in group(records).items() if key[0] == target}
    base_all = groups.get((target, "target_only", "all"), [])
    head = ("| arm | k | P | R | micro F1 [95% CI] | macro F1 | " + " | ".join(f"{lb} F1" for lb in labels)
            + " | gain over target-only [paired 95% CI] |")
    lines = [head, "|---|---|---:|---:|---|---:|" + "---:|" * len(labels) + "---|"]
    order = list(DIALOGUE_ARMS)
    for (_, arm, k), recs in sorted(groups.items(), key=lambda x: (order.index(x[0][1]) if x[0][1] in order else 99,
                                                                   k_key(x[0][2]))):
        cell = aggregate(recs)
        mean = lambda vals: sum(vals) / len(vals) if vals else None  # noqa: E731
        p, r = mean([x.p or 0 for x in recs]), mean([x.r or 0 for x in recs])
        macro = mean([x.macro_f for x in recs if x.macro_f is not None])
        per = [pct(mean([x.per_label.get(lb, {}).get("f", 0.0) for x in recs])) for lb in labels]
        base = groups.get((target, "target_only", k), []) if k else base_all
        gain = "–" if arm == "target_only" or not base else with_ci(*paired_gain(recs, base), signed=True)
        lines.append(f"| {DIALOGUE_ARMS.get(arm, ARM_NAMES.get(arm, arm))} | {k_label(k, recs) if k else '–'} | "
                     f"{pct(p)} | {pct(r)} | {_cell(cell)} | {pct(macro)} | " + " | ".join(per) + f" | {gain} |")
    return "\n".join(lines)


def projection_table(reports: Sequence[Dict]) -> str:
    """Projection statistics of the translated training data (one row per report)."""
    methods = sorted({m for rep in reports for m in rep.get("by_method", {})},
                     key=lambda m: (m == "lost", m == "dropped-overlap", m != "marker", m))
    lines = ["| source | translator | docs | sentences | entities | placed | " + " | ".join(methods) + " |",
             "|---|---|---:|---:|---:|---:|" + "---:|" * len(methods)]
    for rep in reports:
        tr = rep.get("translator") or {}
        name = tr.get("name", "?") if isinstance(tr, dict) else str(tr)
        share = rep.get("placed_share")
        counts = " | ".join(str(rep.get("by_method", {}).get(m, 0)) for m in methods)
        lines.append(f"| {rep.get('src_lang', '?')} -> {rep.get('tgt_lang', '?')} | {name} | {rep.get('docs', '–')} "
                     f"| {rep.get('sentences', '–')} | {rep.get('entities', '–')} "
                     f"| {rep.get('placed', '–')} ({pct(share)}%) | {counts} |")
    return "\n".join(lines)


def _cell(cell: Cell) -> str:
    text = with_ci(cell.f, cell.low, cell.high)
    return text if cell.n_seeds <= 1 or cell.sd is None else f"{text} (sd {100 * cell.sd:.1f}, {cell.n_seeds} seeds)"


def sweep_table(result: Dict[str, object]) -> str:
    """Markdown table of a self-training threshold sweep (training/threshold.py), the choice marked."""
    lines = ["| scope | threshold | turns kept | share | P | R | F1 of kept turns |", "|---|---|---|---|---|---|---|"]
    for r in list(result["rows"]) + [dict(result["all_units"], scope="–", threshold="none (all)")]:
        chosen = r["threshold"] == result["chosen"] and r.get("scope", "all") == result.get("scope", "all")
        mark = " **(chosen)**" if chosen else ""
        value = f"{r['threshold']:g}" if isinstance(r["threshold"], (int, float)) else r["threshold"]
        lines.append(f"| {r.get('scope', 'all')} | {value}{mark} | {r['units_kept']}/{r['units']} | {100 * r['kept_share']:.0f}% | "
                     f"{100 * r['p']:.1f} | {100 * r['r']:.1f} | {100 * r['f']:.1f} |")
    return "\n".join(lines)


def main_table(records: Sequence[Record], langs: Sequence[str]) -> str:
    """The decision table: the baseline a spaCy user would train, target-only and transferred + k
    on the same k documents, with paired gains of transferred + k over both."""
    groups = group(records)
    lines = ["| target | k | spaCy CPU default | target-only | transferred + k | gain over target-only | gain over spaCy default |",
             "|---|---|---|---|---|---|---|"]
    for lang in langs:
        ks = sorted({k for (lg, arm, k) in groups if lg == lang and arm in ("target_only", "transfer_k", "baseline")},
                    key=k_key)
        for k in ks:
            base, ours, cnn = (groups.get((lang, arm, k), []) for arm in ("target_only", "transfer_k", "baseline"))
            g_t = paired_gain(ours, base) if base and ours else (None, None, None)
            g_b = paired_gain(ours, cnn) if cnn and ours else (None, None, None)
            lines.append(f"| {lang} | {k_label(k, base or ours or cnn)} | {_cell(aggregate(cnn))} | {_cell(aggregate(base))} "
                         f"| {_cell(aggregate(ours))} | {with_ci(*g_t, signed=True)} | {with_ci(*g_b, signed=True)} |")
    return "\n".join(lines)


def cost_table(records: Sequence[Record]) -> str:
    """Per trained arm: test F1 beside what its training cost and where it stopped.

    updates: the step of the best dev checkpoint (the model scored) / the last step run;
    stopped by "patience" means the dev curve had flattened (no better dev score for the
    patience steps); "max_steps" means the budget ran out first. CPU minutes are the run's wall
    minutes on this machine's CPU (encoding, training, dev evaluations).
    """
    lines = ["| target | arm | k | test F1 | best dev F1 | updates (best / run) | dev evaluations | stopped by | CPU min |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (lang, arm, k), recs in sorted(group(records).items(), key=lambda x: (x[0][0], arm_order(x[0][1]), k_key(x[0][2]))):
        trained = [r for r in recs if r.curve]
        if not trained:
            continue
        c = trained[0].curve
        secs = [r.train_seconds for r in trained if r.train_seconds]
        mins = f"{sum(secs) / len(secs) / 60:.1f}" if secs else "–"
        best = c.get("best_score")
        lines.append(f"| {lang} | {ARM_NAMES.get(arm, arm)} | {k_label(k, recs) if k else '–'} | {_cell(aggregate(recs))} "
                     f"| {'–' if best is None else f'{best:.1f}'} | {c.get('best_step')} / {c.get('last_step')} "
                     f"| {c.get('evaluations')} | {c.get('stopped_by')} | {mins} |")
    return "\n".join(lines)
