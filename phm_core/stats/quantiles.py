"""Assignment of values to quantiles (deciles, quintiles ...) the way the PHE quantile tools do it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from phm_core.stats._common import GroupBy, group_columns, make_groups, numeric, require_columns, require_frame

QUANTILE_NAMES = {
    2: "half", 3: "tertile", 4: "quartile", 5: "quintile", 6: "sextile", 7: "septile",
    8: "octile", 10: "decile", 12: "duodecile", 16: "hexadecile", 20: "ventile",
}  # fmt: skip


def quantile_numbers(values: np.ndarray, codes: np.ndarray, groups: int, n_quantiles: int, invert: bool) -> np.ndarray:
    """Quantile of each value within its group; NaN values get no quantile (returned as 0)."""
    present = ~np.isnan(values)
    key = np.where(invert, -values, values)
    # Rank by (group, key) with ties taking the lowest rank ("min" ties), counting only present values.
    frame = pd.DataFrame({"g": codes[present], "k": key[present]})
    rank = frame.groupby("g")["k"].rank(method="min").to_numpy()
    count = np.bincount(codes[present], minlength=groups)[codes[present]]
    number = np.floor((n_quantiles + 1) - np.ceil(((count + 1) - rank) / (count / n_quantiles)))
    out = np.zeros(len(values), dtype=np.int64)
    out[present] = np.clip(number, 1, n_quantiles).astype(np.int64)
    return out


def quantiles(
    df: pd.DataFrame,
    *,
    value: str,
    n_quantiles: int = 10,
    group_by: GroupBy = None,
    invert: bool = True,
) -> pd.DataFrame:
    """Assign each row to a quantile of ``value`` within its group, as the PHE quantile tools do.

    Values are ranked within each group with ties sharing the lowest rank, and quantile
    = floor((q + 1) - ceiling(((n + 1) - rank) / (n / q))), so tied values always share a quantile and
    quantile sizes differ by at most one when there are no ties. With ``invert`` (the default) quantile 1
    holds the highest values (e.g. highest deprivation score = decile 1 = most deprived); with
    ``invert=False`` quantile 1 holds the lowest. For a polarity-aware ranking where 1 is best, use
    ``invert=True`` when high is good and ``invert=False`` when low is good. Rows with a missing value
    get no quantile. Returns ``df`` with ``quantile`` (nullable integer) and ``statistic`` columns added.
    """
    function = "quantiles"
    require_frame(df, function)
    if not isinstance(n_quantiles, int | np.integer) or not 2 <= n_quantiles <= 100:
        raise ValueError(f"{function}: n_quantiles must be a whole number from 2 to 100")
    keys = group_columns(group_by)
    require_columns(df, [*keys, value], function)
    values = numeric(df, value, function, allow_negative=True)
    groups = make_groups(df, keys)
    sizes = np.bincount(groups.codes[~np.isnan(values)], minlength=groups.count)
    if (sizes[sizes > 0] < n_quantiles).any():
        raise ValueError(f"{function}: a group has fewer values than the {n_quantiles} quantiles asked for")
    numbers = quantile_numbers(values, groups.codes, groups.count, n_quantiles, invert)
    out = df.copy()
    out["quantile"] = pd.array(np.where(numbers > 0, numbers, 0), dtype="Int64")
    out.loc[numbers == 0, "quantile"] = pd.NA
    name = QUANTILE_NAMES.get(n_quantiles, f"{n_quantiles}-quantile")
    order = "highest" if invert else "lowest"
    out["statistic"] = f"{name} (1 = {order} {value})"
    return out
