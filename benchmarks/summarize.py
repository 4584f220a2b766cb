"""Render benchmarks/README.md from the JSON files in benchmarks/results/.

    python benchmarks/summarize.py

Every figure in the README is copied from a results file written by one of
the benchmark scripts; rerun the scripts, then this, to refresh it.
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

HEADER = """# Benchmarks

Each script measures a ratio against a baseline timed in the same run and
writes `results/<name>.json`; this file is generated from those files by
`python benchmarks/summarize.py`. Timings are medians after warm-up on the
machine named in each section (CPU only; the session machines have 2 cores
and no GPU). Run them all with `make bench`.
"""


def _load(name):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def spherical_cosines():
    data = _load("spherical_cosines")
    if data is None:
        return "## spherical_cosines\n\nNo results yet: run the benchmark.\n"
    env = data.get("environment", {})
    lines = [
        "## `spherical_cosines` vs the papers' O(n^2) masked form",
        "",
        f"`benchmarks/bench_spherical_cosines.py`, batch {data['batch']}, "
        f"{data['dtype']}, {data['compiler']}; backend {env.get('backend')}, "
        f"{env.get('cpu_count')} CPUs. Target: >= 20x at n = 1000, linear growth.",
        "",
        "| n | ours (ms) | masked (ms) | speed-up | ours ns / (B n) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['n']} | {1e3 * row['ours_s']:.3f} | {1e3 * row['masked_s']:.1f} "
            f"| {row['speedup']:.1f}x | {row['ours_ns_per_sample_dim']:.1f} |"
        )
    fit = data.get("linear_fit_seconds_vs_n", {})
    if fit:
        lines += ["", f"Linear fit of our time vs n: `{json.dumps(fit)}`."]
    lines += ["", f"Masked baseline: {data.get('masked_method', '')}", ""]
    return "\n".join(lines)


def vmf_sampling():
    data = _load("vmf_sampling")
    if data is None:
        return "## vMF sampling\n\nNo results yet: run `bench_vmf_sampling.py`.\n"
    env = data["environment"]
    lines = [
        "## vMF sampling vs `tfp.distributions.VonMisesFisher`",
        "",
        f"`benchmarks/bench_vmf_sampling.py`: TensorFlow {env.get('tensorflow')}, "
        f"TFP {data['tfp']}, graph mode, batch {data['rows'][0]['batch']}, "
        f"{env.get('cpu_count')} CPUs. Ratio = time(TFP) / time(keras_hsvae); "
        "above 1 means keras_hsvae is faster. Target: at least on par.",
        "",
        "| m | kappa | keras_hsvae (ms) | TFP (ms) | TFP / ours |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['m']} | {row['kappa']:g} | {1e3 * row['keras_hsvae_s']:.2f} "
            f"| {1e3 * row['tfp_s']:.2f} | {row['tfp_over_ours']:.2f} |"
        )
    s = data["summary"]
    lines += [
        "",
        f"Geometric mean TFP / ours: {s['geometric_mean_tfp_over_ours']:.2f} "
        f"(min {s['min_tfp_over_ours']:.2f}, max {s['max_tfp_over_ours']:.2f}).",
        "",
    ]
    return "\n".join(lines)


def hsc_regularizer():
    data = _load("hsc_regularizer")
    if data is None:
        return "## HSC regularizer\n\nNo results yet: run `bench_hsc_regularizer.py`.\n"
    lines = [
        "## HSC regularizer cost per training step",
        "",
        f"`benchmarks/bench_hsc_regularizer.py`: small conv VAE on 28x28x1, batch "
        f"{data['batch']}, backend {data['backend']}, {data['cpu_count']} CPUs, "
        f"jit_compile={data['jit_compile']}. Baseline: {data['baseline']} "
        "Target: <= 5 % at n = 200 (the paper reports +32 %).",
        "",
        "| n | variant | median step (ms) | overhead vs baseline |",
        "| --- | --- | --- | --- |",
    ]
    for row in data["results"]:
        lines.append(
            f"| {row['n']} | {row['variant']} | {row['median_step_ms']:.1f} "
            f"| {row['overhead_pct']:+.1f} % |"
        )
    lines += [
        "",
        f"Load average at the end of the run: {data.get('load_average_at_end')}.",
        "",
    ]
    return "\n".join(lines)


_TRAIN_STEP_LABELS = {
    "svae_vmf": "SVAE, vMF, m = 10",
    "svae_power_spherical": "SVAE, Power Spherical, m = 10",
    "product_svae": "ProductSVAE [10, 10, 10, 11]",
    "hscvae": "HSCVAE n = 128",
}


def _backend_runs(prefix):
    """The results files `<prefix>_<backend>.json` that exist, in backend order."""
    runs = [_load(f"{prefix}_{b}") for b in ("tensorflow", "jax", "torch")]
    return [run for run in runs if run is not None]


def train_step():
    runs = _backend_runs("train_step")
    title = "## Training step cost, ratio to BetaVAE of the same size"
    if not runs:
        return f"{title}\n\nNo results yet: run `bench_train_step.py`.\n"
    s = runs[0]["settings"]
    lines = [
        title,
        "",
        "`benchmarks/bench_train_step.py --backend <b>`: `train_on_batch` after "
        f"warm-up, MLP {s['mlp']}, {s['repeats']} interleaved rounds of "
        f"{s['steps_per_repeat']} steps; median ratio [min, max] over the rounds "
        "against a BetaVAE of the same latent size timed in the same run. "
        "First step: the call that traces and compiles the step. "
        "Target (issue 13): SVAE <= 1.3x, ProductSVAE <= 1.5x.",
        "",
        "| backend | model | batch | ratio [min, max] | ms / step (BetaVAE) "
        "| first step s (BetaVAE) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        for row in run["rows"]:
            lines.append(
                f"| {run['backend']} | {_TRAIN_STEP_LABELS[row['model']]} "
                f"| {row['batch_size']} | {row['ratio_median']:.2f} "
                f"[{row['ratio_min']:.2f}, {row['ratio_max']:.2f}] "
                f"| {row['ms_per_step']:.1f} ({row['baseline_ms_per_step']:.1f}) "
                f"| {row['first_step_s']:.1f} ({row['baseline_first_step_s']:.1f}) |"
            )
    loads = ", ".join(
        f"{run['backend']} {run['load_average_1_5_15']['after'][0]:.1f}" for run in runs
    )
    cpus = runs[0]["environment"]["cpu_count"]
    lines += [
        "",
        f"{cpus} CPUs; 1-minute load average at the end "
        f"of each run: {loads}. Backends without a results file were not run.",
        "",
    ]
    return "\n".join(lines)


def eager_eval():
    runs = _backend_runs("eager_eval")
    title = "## Eager use outside `fit`: vMF draws and the importance-sampled LL"
    if not runs:
        return f"{title}\n\nNo results yet: run `bench_eager_eval.py`.\n"
    s = runs[0]["settings"]
    lines = [
        title,
        "",
        "`benchmarks/bench_eager_eval.py --backend <b>`: an eager "
        f"`VonMisesFisher.sample` of shape {tuple(s['sample_shape'])} (kappa "
        f"{s['kappa']:g}), first call and median of {s['calls']} more, with the "
        "rejection loop as shipped (compiled once per shape on JAX) and as "
        "before (uncompiled, the baseline), timed in the same process; then "
        f"the importance-sampled LL of `{s['preset']}` (K = {s['samples']}) on "
        "the first test images. Target (issue 13): the LL of 10,000 images "
        "with K = 500 in at most 90 s on each backend.",
        "",
        "| backend | sample: first call s (baseline) | later call s (baseline) "
        "| baseline / ours | LL: images, K | LL s | LL (nats) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        d, ll = run["sample"], run["log_likelihood"]
        lines.append(
            f"| {run['backend']} | {d['ours_first_s']:.2f} "
            f"({d['baseline_first_s']:.2f}) "
            f"| {d['ours_call_s']:.3f} ({d['baseline_call_s']:.3f}) "
            f"| {d['call_ratio']:.1f}x | {ll['examples']}, {ll['num_samples']} "
            f"| {ll['seconds']:.1f} | {ll['value']:.2f} |"
        )
    loads = ", ".join(
        f"{run['backend']} {run['load_average_1_5_15_after'][0]:.1f}" for run in runs
    )
    lines += [
        "",
        f"{runs[0]['environment']['cpu_count']} CPUs; 1-minute load average at "
        f"the end of each run: {loads}. The LL values differ between backends "
        "by their random streams (each is one estimate with its own draws).",
        "",
    ]
    return "\n".join(lines)


def peak_memory():
    runs = _backend_runs("peak_memory")
    title = "## Peak memory of a training run"
    if not runs:
        return f"{title}\n\nNo results yet: run `bench_peak_memory.py`.\n"
    first = runs[0]
    lines = [
        title,
        "",
        "`benchmarks/bench_peak_memory.py --backend <b>`: peak resident set size "
        f"(`ru_maxrss`) of a fresh process that builds one model and trains it "
        f"with `fit` for {first['steps']} steps at batch {first['batch']} (the MLP "
        "models of `bench_train_step.py`, random binary images); "
        '"build" is the peak before training (libraries, data, weights), '
        '"after first step" the peak once the train step has been traced and '
        'compiled (TensorFlow, JAX) or run once (PyTorch), "training" what the '
        'whole run added to "build". "vs BetaVAE" is the difference of the peaks '
        "from a BetaVAE of the same latent size, measured in the same run.",
        "",
        "| backend | model | build MiB | after first step MiB | peak MiB "
        "| training MiB | peak vs BetaVAE MiB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        for name, row in run["rows"].items():
            delta = row.get("peak_minus_baseline_mib")
            lines.append(
                f"| {run['backend']} | {name} | {row['build_mib']:.0f} "
                f"| {row['first_step_mib']:.0f} "
                f"| {row['peak_mib']:.0f} | {row['train_mib']:.0f} "
                f"| {'-' if delta is None else f'{delta:+.0f}'} |"
            )
    lines += [""]
    return "\n".join(lines)


def _ours_vs_baseline_rows(runs, case):
    """Rows `| backend | case | ours | baseline | ratio | first calls |`.

    From `ours_s` / `baseline_s` results, followed by the runs' load averages.
    """
    lines = []
    for run in runs:
        backend = run["environment"]["backend"]
        for row in run["rows"]:
            lines.append(
                f"| {backend} | {case(row)} "
                f"| {1e3 * row['ours_s']:.2f} | {1e3 * row['baseline_s']:.2f} "
                f"| {row['baseline_over_ours']:.2f} "
                f"| {row['first_call_ours_s']:.2f} / "
                f"{row['first_call_baseline_s']:.2f} |"
            )
    loads = ", ".join(
        f"{run['environment']['backend']} {run['load_average_1_5_15'][0]:.1f}"
        for run in runs
    )
    return lines + ["", f"1-minute load average at the end of each run: {loads}.", ""]


def wood_proposal():
    runs = _backend_runs("wood_proposal")
    title = "## Wood's proposal Beta(c, c): `sample_symmetric_beta` vs the old draw"
    if not runs:
        return f"{title}\n\nNo results yet: run `bench_wood_proposal.py`.\n"
    lines = [
        title,
        "",
        "`benchmarks/bench_wood_proposal.py`: 100,000 draws per call, compiled "
        "(`tf.function`, `jax.jit`; PyTorch eager), median after warm-up. "
        "Baseline: the draw the vMF loop used before (TensorFlow: "
        "`sample_beta_logit`; JAX: `jax.random.beta`; PyTorch: `keras.random.beta`, "
        "still used there). Ratio = baseline / ours; above 1 means the new draw "
        "is faster.",
        "",
        "| backend | c (m) | ours (ms) | baseline (ms) | baseline / ours "
        "| first call ours / baseline (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += _ours_vs_baseline_rows(runs, lambda row: f"{row['c']:g} ({row['m']})")
    return "\n".join(lines)


def product_sampling():
    runs = _backend_runs("product_sampling")
    title = "## Product of vMF shells: one joint rejection loop vs one per shell"
    if not runs:
        return f"{title}\n\nNo results yet: run `bench_product_sampling.py`.\n"
    lines = [
        title,
        "",
        "`benchmarks/bench_product_sampling.py`: `ProductVonMisesFisher.sample` "
        "(the cosines of all shells drawn in one Wood loop, a column per shell) "
        "against the per-shell draws it replaced (each shell's "
        "`VonMisesFisher.sample`, concatenated); one sample per row, random mean "
        "directions, kappa uniform in [1, 200]; compiled (`tf.function`, "
        "`jax.jit`; PyTorch eager), median after warm-up. Ratio = per-shell / "
        "joint; above 1 means the joint loop is faster.",
        "",
        "| backend | shells | batch | joint (ms) | per shell (ms) | per shell / joint "
        "| first call joint / per shell (s) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += _ours_vs_baseline_rows(
        runs, lambda row: f"{row['shell_dims']} | {row['batch']}"
    )
    lines += [
        "The whole training step before and after the joint loop (ratio to "
        "BetaVAE, idle machine): "
        "[results/product_joint_loop/README.md](results/product_joint_loop/README.md).",
        "",
    ]
    return "\n".join(lines)


def accuracy():
    data = _load("accuracy")
    if data is None:
        return "## Accuracy\n\nNo results yet: run `accuracy.py`.\n"
    g = data["grids"]
    lines = [
        "## Accuracy against mpmath",
        "",
        "`benchmarks/accuracy.py` (the tests' grids; reference: mpmath at 40-60 "
        f"digits). Orders {g['orders']}, x {g['args'][0]:g}..{g['args'][-1]:g} "
        f"({len(g['args'])} points); vMF KL for m in {g['dims']}, kappa "
        f"{g['kappas'][0]:g}..{g['kappas'][-1]:g}. TFP 0.25 measured on the same "
        "grid for comparison.",
        "",
        "| quantity | float64 | float32 | required (f64 / f32) |",
        "| --- | --- | --- | --- |",
    ]
    rows = [
        (
            "`log_bessel_iv`, err / max(1, abs(log I))",
            "log_bessel_iv_max_err_over_max1_abs",
            "1e-10 / 1e-5",
        ),
        ("`bessel_iv_ratio`, relative", "bessel_iv_ratio_max_rel_err", "1e-8 / 1e-4"),
        ("vMF KL to uniform, relative", "vmf_kl_max_rel_err", "1e-8 / 1e-4"),
        (
            "TFP `log_bessel_ive` + x, same measure",
            "tfp_log_bessel_ive_plus_x_max_err",
            "-",
        ),
        ("TFP vMF KL to uniform, relative", "tfp_vmf_kl_max_rel_err", "-"),
    ]
    for label, key, req in rows:
        if key in data["float64"]:
            f64, f32 = data["float64"][key], data["float32"][key]
            lines.append(f"| {label} | {f64:.2g} | {f32:.2g} | {req} |")
    lines.append("")
    return "\n".join(lines)


def main():
    text = "\n".join(
        [
            HEADER,
            accuracy(),
            spherical_cosines(),
            vmf_sampling(),
            wood_proposal(),
            product_sampling(),
            hsc_regularizer(),
            train_step(),
            eager_eval(),
            peak_memory(),
        ]
    )
    (HERE / "README.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
