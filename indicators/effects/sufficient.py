"""What a municipality exports so that the Land can pool its effect estimates exactly.

Stacking the panels of several municipalities, each with its own year effects
(``Panel.group``), splits the imputation fit into one block per municipality. Every pooled
quantity is then a function of each municipality's own:

* the pooled estimate is the weighted mean of the municipalities' estimates, weighted by the
  summed weight of their treated observations (``gewichte_summe``);
* an area's cluster score in the pooled estimate is its score in its municipality's estimate
  (``einfluss``) times that municipality's share of the weight;
* leaving one area out changes only its municipality's estimate, to ``effekt_ohne_gebiet``
  with weight ``gewichte_ohne_gebiet``.

So the pooled estimate and its cluster-robust standard error (from the scores ψ) equal those
of the estimator run on the stacked panels, and so do its jackknife standard error and the
wild cluster bootstrap of the jackknife-transformed scores (from the leave-one-out values),
without any cell value leaving the municipality (``indicators/land/pooling.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.effects.did import Imputation, cluster_scores

OVERALL = "gesamt"
"""Label of the overall ATT; event-study effects are labelled by their years since start."""
TOTAL_COLUMNS = ["effekt", "effekt_pp", "gewichte_summe", "n_gebiete"]
AREA_COLUMNS = ["effekt", "gebiet_id", "einfluss", "behandelte_zellen", "effekt_ohne_gebiet",
                "gewichte_ohne_gebiet"]  # fmt: skip


def effect_label(name: str | int) -> str:
    """``gesamt`` for the ATT, otherwise the years since start."""
    return OVERALL if name == "ATT" else str(int(name))


def pooling_statistics(
    estimate: Imputation, left_out: np.ndarray, left_out_totals: np.ndarray, areas: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per estimate its totals, and per estimate and area its share of it.

    ``left_out``/``left_out_totals`` are ``did.leave_one_out`` of the same panel; ``areas``
    the area id of each unit code.
    """
    panel = estimate.panel
    labels = [effect_label(name) for name in estimate.names]
    treated = panel.treated
    treated_weight = np.zeros((panel.n_units, len(labels)))
    np.add.at(treated_weight, panel.unit[treated], estimate.V[treated] * estimate.totals)
    totals = pd.DataFrame(
        {
            "effekt": labels,
            "effekt_pp": estimate.estimate,
            "gewichte_summe": estimate.totals,
            "n_gebiete": panel.n_units,
        },
        columns=TOTAL_COLUMNS,
    )
    G, K = treated_weight.shape
    per_area = pd.DataFrame(
        {
            "effekt": np.repeat(labels, G),
            "gebiet_id": np.tile(np.asarray(areas), K),
            "einfluss": cluster_scores(estimate).T.ravel(),
            "behandelte_zellen": treated_weight.T.ravel(),
            "effekt_ohne_gebiet": left_out.T.ravel(),
            "gewichte_ohne_gebiet": left_out_totals.T.ravel(),
        },
        columns=AREA_COLUMNS,
    )
    return totals, per_area
