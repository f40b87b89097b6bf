"""The printed tables of ``benchmarks/test_retest_factors.py`` (its result dict -> stdout)."""

from __future__ import annotations


def print_table(res: dict) -> None:
    names = [k[len("binary_agreement_"):] for k in res["factors"]["full"] if k.startswith("binary_agreement_")
             and k != "binary_agreement_model"]
    print(f"model {res['model_version']}  subjects {res['subjects']} ({res['positives']} positive)  "
          f"{res['seconds']} s (scorers fitted on {res['scorer_train_clips']} clips)")
    head = f"{'factor':13s} {'sdΔlogit':>8s} {'meanΔ':>6s} {'med|Δp|':>7s} {'label':>6s} {'bin':>5s} " + \
        " ".join(f"{n[:9]:>9s}" for n in names) + f" {'km var%':>7s} {'refused':>7s}"
    print("\nPart 1 - one factor re-drawn at a time (agreement: label = 3 labels, bin = model binary, scorers binary)")
    print(head)
    for key, f in res["factors"].items():
        print(f"{key:13s} {f['sd_delta_logit']:8.3f} {f['mean_delta_logit']:+6.2f} {f['median_abs_delta_p']:7.4f} "
              f"{f['label_agreement']:6.3f} {f['binary_agreement_model']:5.3f} "
              + " ".join(f"{f['binary_agreement_' + n]:9.3f}" for n in names)
              + f" {f['km_within_var_pct']:7.1f} {f['gate_refused']:7d}")
    print("most moved features per factor (within-pair variance, % of between-subject variance):")
    for key in ("noise", "est_levels", "motion", "day", "fps", "duration", "camera", "full", "full_clean"):
        print(f"  {key:11s} " + ", ".join(f"{n} {v:.0f}" for n, v in res["factors"][key]["noisiest_features_var_pct"]))
    for key in ("fps", "fps_clean"):
        bf = res["factors"][key]["by_fps"]
        print(f"  {key}: " + ", ".join(f"30->{k}: meanΔ {v['mean_delta_logit']:+.3f} sdΔ {v['sd_delta_logit']:.3f}"
                                      for k, v in bf.items()))
    print("\nPart 2 - which scores are repeatable (pairs: full re-recording; estimator noise only)")
    _score_table(res["inputs_full_rerecording"], "full")
    _score_table(res["noise_only"][0], "noise only")
    fi = res["feature_icc_full"]
    print(f"feature ICC (n={fi['n']}): " + " ".join(f"p{k}={v:.2f}" for k, v in fi["quantiles"].items())
          + f"; <0.5: {fi['below_0.5']}, <0.75: {fi['below_0.75']}")
    print("15 least repeatable features: " + ", ".join(f"{n} {v:.2f}" for n, v in fi["worst"]))
    fi = res["noise_only"][1]
    print("feature ICC, noise-only pairs: " + " ".join(f"p{k}={v:.2f}" for k, v in fi["quantiles"].items())
          + f"; <0.5: {fi['below_0.5']}, <0.75: {fi['below_0.75']}")
    print("input swap (one window): SD of the logit change from clip A when B's window is used whole / only B's "
          "skeleton maps / B's map + text / B's map only / B's text only")
    for k, v in res["input_swap"].items():
        print(f"  {k:8s} whole {v['B']:.3f}  video {v['video_B']:.3f}  map + text {v['map_B']:.3f}  "
              f"map {v['km_only_B']:.3f}  text {v['text_only_B']:.3f}  (text differs {v['text_differs']:.2f}, "
              f"findings stated differ {v['statements_differ']:.2f})")
    print("\nPart 3 - frame rate: mean feature shift (between-subject SDs), 30 fps -> 25 / 60 fps")
    for k, v in res["fps_feature_shift_sd"].items():
        print(f"  {k:13s} " + ", ".join(f"{n} {z:+.2f}" for n, z in v))
    wi = res.get("what_if_smoothing")
    if wi:
        print(f"\nPart 4 - what if: landmarks low-passed (Gaussian sigma {wi['sigma_s']} s) before the gate and map; "
              "scorers refitted on smoothed training clips, the model NOT retrained")
        for k in ("full", "noise"):
            _score_table(wi[k][0], k + " (smoothed)")
            fi = wi[k][1]
            print("  feature ICC: " + " ".join(f"p{q}={v:.2f}" for q, v in fi["quantiles"].items())
                  + f"; <0.5: {fi['below_0.5']}, <0.75: {fi['below_0.75']}")


def _score_table(d: dict, title: str) -> None:
    print(f"{title:14s} {'ICC':>6s} {'sd_within':>9s} {'sd_betw':>8s} {'agree':>6s} {'acc':>6s} {'sens':>6s} "
          f"{'spec':>6s} {'AUC':>6s}")
    for n, v in d.items():
        print(f"  {n:12s} {v['icc']:6.3f} {v['sd_within']:9.3f} {v['sd_between']:8.3f} {v['binary_agreement']:6.3f} "
              f"{v['accuracy']:6.3f} {v['sensitivity']:6.3f} {v['specificity']:6.3f} {v['auc']:6.3f}")
