"""The PubMed chart: one y axis for every series (two axes made a 0-1,000 and a 0-9,000 curve
look alike), logarithmic when one series' peak is five times another's, each with its query and date."""

import datetime as dt

from evqms.landscape.selectors import pubmed_chart


def _series(name, counts, query="q", day=dt.date(2023, 10, 30)):
    return {
        "name": name,
        "query": query,
        "retrieved_on": day,
        "counts": [{"year": y, "count": c} for y, c in counts.items()],
    }


def test_series_of_very_different_size_share_one_logarithmic_axis():
    # the demo's 2023 figures: 910 (seed) and 8,845 (broader) records, 8,845 / 910 = 9.7 >= 5
    chart = pubmed_chart(
        [
            _series("seed", {2021: 0, 2022: 640, 2023: 910}, query="exosome therapy"),
            _series("broad", {2021: 3000, 2022: 7000, 2023: 8845}),
        ]
    )
    assert chart["scale"] == "logarithmic"
    assert chart["series"][0]["data"] == [None, 640, 910]  # no zero on a log axis: a gap
    assert chart["series"][0]["query"] == "exosome therapy"
    assert chart["series"][0]["retrieved_on"] == "2023-10-30"


def test_series_of_similar_size_keep_a_linear_axis_with_zeros():
    # 4,000 / 910 = 4.4 < 5
    chart = pubmed_chart([_series("seed", {2022: 0, 2023: 910}), _series("broad", {2022: 100, 2023: 4000})])
    assert chart["scale"] == "linear" and chart["series"][0]["data"] == [0, 910]
    assert chart["labels"] == [2022, 2023]
